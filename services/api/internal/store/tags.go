package store

import (
	"context"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/taskmesh/taskmesh/gen/sqlc/apidb"
	eventsv1 "github.com/taskmesh/taskmesh/gen/taskmesh/events/v1"
	taskv1 "github.com/taskmesh/taskmesh/gen/taskmesh/task/v1"
	"github.com/taskmesh/taskmesh/pkg/apierr"
	"github.com/taskmesh/taskmesh/pkg/pgerr"
)

// MaxTagsPerUser bounds how many tags one user may have.
const MaxTagsPerUser = 500

// DefaultTagColor is the color of a tag created without one (slate).
const DefaultTagColor = "#64748B"

const tagNameKey = "tags_user_name_key"

// CreateTag stores a new tag. A name the user already has (ignoring case) answers
// AlreadyExists; more than MaxTagsPerUser tags answer ResourceExhausted.
func (s *Store) CreateTag(ctx context.Context, userID uuid.UUID, name, color string) (*taskv1.Tag, error) {
	if color == "" {
		color = DefaultTagColor
	}
	var out *taskv1.Tag
	err := s.inTx(ctx, func(tx pgx.Tx, q *apidb.Queries) error {
		// Lock the user's row so that concurrent creations count each other.
		if _, _, err := reserveChangeSeqs(ctx, q, userID, 0); err != nil {
			return err
		}
		n, err := q.TagCount(ctx, userID)
		if err != nil {
			return fmt.Errorf("count tags: %w", err)
		}
		if n >= MaxTagsPerUser {
			return apierr.ResourceExhausted(fmt.Sprintf("a user can have at most %d tags", MaxTagsPerUser))
		}
		row, err := q.TagCreate(ctx, apidb.TagCreateParams{ID: uuid.Must(uuid.NewV7()), UserID: userID, Name: name, Color: color})
		if pgerr.IsUniqueViolation(err, tagNameKey) {
			return apierr.AlreadyExists("a tag named %q already exists", name)
		}
		if err != nil {
			return fmt.Errorf("create tag: %w", err)
		}
		out = tagToProto(row, 0)
		return nil
	})
	return out, err
}

// ListTags returns all the user's tags by name, with their live task counts.
func (s *Store) ListTags(ctx context.Context, userID uuid.UUID) ([]*taskv1.Tag, error) {
	rows, err := s.q.TagListWithCounts(ctx, userID)
	if err != nil {
		return nil, fmt.Errorf("list tags: %w", err)
	}
	out := make([]*taskv1.Tag, len(rows))
	for i, r := range rows {
		out[i] = tagToProto(apidb.Tag{ID: r.ID, UserID: r.UserID, Name: r.Name, Color: r.Color, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}, r.TaskCount)
	}
	return out, nil
}

// UpdateTag renames and/or recolors a tag (nil keeps a field). NotFound when the user has
// no such tag; AlreadyExists when the new name is taken.
func (s *Store) UpdateTag(ctx context.Context, userID, id uuid.UUID, name, color *string) (*taskv1.Tag, error) {
	row, err := s.q.TagUpdate(ctx, apidb.TagUpdateParams{UserID: userID, ID: id, Name: name, Color: color})
	if pgerr.IsNoRows(err) {
		return nil, apierr.NotFound("tag")
	}
	if pgerr.IsUniqueViolation(err, tagNameKey) {
		return nil, apierr.AlreadyExists("a tag named %q already exists", *name)
	}
	if err != nil {
		return nil, fmt.Errorf("update tag %s: %w", id, err)
	}
	return tagToProto(row, 0), nil
}

// DeleteTag deletes a tag and takes it off the user's tasks, each of which counts as
// changed (new version and change_seq, events in the outbox). NotFound when the user has
// no such tag.
func (s *Store) DeleteTag(ctx context.Context, userID, id uuid.UUID) error {
	return s.inTx(ctx, func(tx pgx.Tx, q *apidb.Queries) error {
		// Lock order is always user row, then task rows (as in mutateTask).
		if _, _, err := reserveChangeSeqs(ctx, q, userID, 0); err != nil {
			return err
		}
		if _, err := q.TagGet(ctx, apidb.TagGetParams{UserID: userID, ID: id}); pgerr.IsNoRows(err) {
			return apierr.NotFound("tag")
		} else if err != nil {
			return fmt.Errorf("get tag %s: %w", id, err)
		}
		taskIDs, err := q.TaskIDsWithTagForUpdate(ctx, apidb.TaskIDsWithTagForUpdateParams{UserID: userID, TagID: id})
		if err != nil {
			return fmt.Errorf("find tasks tagged %s: %w", id, err)
		}
		rows, err := q.TaskListByIDs(ctx, apidb.TaskListByIDsParams{UserID: userID, Ids: taskIDs})
		if err != nil {
			return fmt.Errorf("load tasks tagged %s: %w", id, err)
		}
		befores, err := s.hydrate(ctx, q, rows)
		if err != nil {
			return err
		}
		if _, err := q.TagDelete(ctx, apidb.TagDeleteParams{UserID: userID, ID: id}); err != nil {
			return fmt.Errorf("delete tag %s: %w", id, err)
		}
		if len(rows) == 0 {
			return nil
		}
		first, _, err := reserveChangeSeqs(ctx, q, userID, int64(len(rows)))
		if err != nil {
			return err
		}
		now := s.now()
		for i, row := range rows {
			if err := updateRow(ctx, q, row, first+int64(i), now); err != nil {
				return err
			}
			after, err := s.taskByID(ctx, q, userID, row.ID)
			if err != nil {
				return err
			}
			if err := writeTaskEvents(ctx, tx, userID, eventsv1.TaskEventType_TASK_EVENT_TYPE_UPDATED, befores[i], after); err != nil {
				return err
			}
		}
		return nil
	})
}

func tagToProto(t apidb.Tag, taskCount int32) *taskv1.Tag {
	return &taskv1.Tag{
		Id: t.ID.String(), Name: t.Name, Color: t.Color, TaskCount: taskCount,
		CreatedAt: timestamppb.New(t.CreatedAt), UpdatedAt: timestamppb.New(t.UpdatedAt),
	}
}
