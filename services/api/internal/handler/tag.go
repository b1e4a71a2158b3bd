package handler

import (
	"context"
	"strings"

	"connectrpc.com/connect"

	taskv1 "github.com/taskmesh/taskmesh/gen/taskmesh/task/v1"
	"github.com/taskmesh/taskmesh/gen/taskmesh/task/v1/taskv1connect"
	"github.com/taskmesh/taskmesh/pkg/authn"
	"github.com/taskmesh/taskmesh/services/api/internal/store"
	"github.com/taskmesh/taskmesh/services/api/internal/taskrules"
)

// maxTagName is the longest tag name, in characters, as the protos say.
const maxTagName = 50

// TagServer implements TagService. Tag names are canonical (taskrules.Name): NFC, with
// invisible characters trimmed from the ends, so "Café" in NFC and NFD, or "Work" and
// "Work" plus a zero-width space, are one name and a second CreateTag answers
// AlreadyExists.
type TagServer struct {
	store *store.Store
}

var _ taskv1connect.TagServiceHandler = (*TagServer)(nil)

// NewTagServer returns a TagServer.
func NewTagServer(st *store.Store) *TagServer { return &TagServer{store: st} }

// CreateTag implements TagService.CreateTag.
func (s *TagServer) CreateTag(ctx context.Context, req *connect.Request[taskv1.CreateTagRequest]) (*connect.Response[taskv1.CreateTagResponse], error) {
	userID, err := authn.UserID(ctx)
	if err != nil {
		return nil, err
	}
	name, err := taskrules.Name("name", "name.not_blank", req.Msg.GetName(), maxTagName)
	if err != nil {
		return nil, err
	}
	tag, err := s.store.CreateTag(ctx, userID, name, strings.ToUpper(req.Msg.GetColor()))
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&taskv1.CreateTagResponse{Tag: tag}), nil
}

// ListTags implements TagService.ListTags.
func (s *TagServer) ListTags(ctx context.Context, _ *connect.Request[taskv1.ListTagsRequest]) (*connect.Response[taskv1.ListTagsResponse], error) {
	userID, err := authn.UserID(ctx)
	if err != nil {
		return nil, err
	}
	tags, err := s.store.ListTags(ctx, userID)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&taskv1.ListTagsResponse{Tags: tags}), nil
}

// UpdateTag implements TagService.UpdateTag.
func (s *TagServer) UpdateTag(ctx context.Context, req *connect.Request[taskv1.UpdateTagRequest]) (*connect.Response[taskv1.UpdateTagResponse], error) {
	userID, id, err := userAndID(ctx, "id", req.Msg.GetId())
	if err != nil {
		return nil, err
	}
	var name, color *string
	if req.Msg.Name != nil {
		n, err := taskrules.Name("name", "name.not_blank", req.Msg.GetName(), maxTagName)
		if err != nil {
			return nil, err
		}
		name = &n
	}
	if req.Msg.Color != nil {
		c := strings.ToUpper(req.Msg.GetColor())
		color = &c
	}
	tag, err := s.store.UpdateTag(ctx, userID, id, name, color)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&taskv1.UpdateTagResponse{Tag: tag}), nil
}

// DeleteTag implements TagService.DeleteTag.
func (s *TagServer) DeleteTag(ctx context.Context, req *connect.Request[taskv1.DeleteTagRequest]) (*connect.Response[taskv1.DeleteTagResponse], error) {
	userID, id, err := userAndID(ctx, "id", req.Msg.GetId())
	if err != nil {
		return nil, err
	}
	if err := s.store.DeleteTag(ctx, userID, id); err != nil {
		return nil, err
	}
	return connect.NewResponse(&taskv1.DeleteTagResponse{}), nil
}
