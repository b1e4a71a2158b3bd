package handler_test

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/types/known/timestamppb"

	taskv1 "github.com/taskmesh/taskmesh/gen/taskmesh/task/v1"
	"github.com/taskmesh/taskmesh/pkg/rpctest"
)

// listFixture is a user with a few hundred varied tasks.
type listFixture struct {
	u     *clients
	tasks []*taskv1.Task // latest state of every task, deleted ones included
	tagA  string
	tagB  string
	now   time.Time
}

func newListFixture(t *testing.T, e *env, n int) *listFixture {
	t.Helper()
	ctx := context.Background()
	f := &listFixture{u: e.newUser(rpctest.Connect), now: time.Now()}
	for i, name := range []string{"alpha", "beta"} {
		r, err := f.u.tags.CreateTag(ctx, connect.NewRequest(&taskv1.CreateTagRequest{Name: name}))
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			f.tagA = r.Msg.GetTag().GetId()
		} else {
			f.tagB = r.Msg.GetTag().GetId()
		}
	}
	titles := []string{"apple", "banana", "cherry", "Banana"}
	base := f.now.Truncate(time.Hour)
	for i := range n {
		task := &taskv1.Task{
			Title:       titles[i%len(titles)],
			Description: fmt.Sprintf("item %d %s", i, strings.Repeat("x", i%3)),
			Priority:    taskv1.Priority(i % 4),
		}
		if i%7 == 0 {
			task.Description += " Needle in the haystack"
		}
		switch i % 3 {
		case 0:
			task.TagIds = []string{f.tagA}
		case 1:
			task.TagIds = []string{f.tagA, f.tagB}
		}
		if i%5 != 0 { // every fifth task has no due date; dues repeat to create ties
			task.Due = &taskv1.Due{Kind: &taskv1.Due_At{At: timestamppb.New(base.Add(time.Duration(i%11-5) * 24 * time.Hour))}}
		}
		r, err := f.u.tasks.CreateTask(ctx, connect.NewRequest(&taskv1.CreateTaskRequest{Task: task}))
		if err != nil {
			t.Fatal(err)
		}
		id := r.Msg.GetTask().GetId()
		var got *taskv1.Task
		switch {
		case i%13 == 0:
			d, err := f.u.tasks.DeleteTask(ctx, connect.NewRequest(&taskv1.DeleteTaskRequest{Id: id}))
			if err != nil {
				t.Fatal(err)
			}
			got = d.Msg.GetTask()
		case i%4 == 1:
			c, err := f.u.tasks.CompleteTask(ctx, connect.NewRequest(&taskv1.CompleteTaskRequest{Id: id}))
			if err != nil {
				t.Fatal(err)
			}
			got = c.Msg.GetTask()
		default:
			got = r.Msg.GetTask()
		}
		f.tasks = append(f.tasks, got)
	}
	return f
}

// listAll pages through ListTasks with req (page size small) and returns every task.
func (f *listFixture) listAll(t *testing.T, req *taskv1.ListTasksRequest) []*taskv1.Task {
	t.Helper()
	var out []*taskv1.Task
	for pages := 0; ; pages++ {
		if pages > 1000 {
			t.Fatal("paging does not end")
		}
		resp, err := f.u.tasks.ListTasks(context.Background(), connect.NewRequest(req))
		if err != nil {
			t.Fatal(err)
		}
		if len(resp.Msg.GetTasks()) > int(req.GetPageSize()) {
			t.Fatalf("page of %d tasks; page size %d", len(resp.Msg.GetTasks()), req.GetPageSize())
		}
		out = append(out, resp.Msg.GetTasks()...)
		if resp.Msg.GetNextPageToken() == "" {
			return out
		}
		req.PageToken = resp.Msg.GetNextPageToken()
	}
}

func ids(tasks []*taskv1.Task) []string {
	out := make([]string, len(tasks))
	for i, t := range tasks {
		out[i] = t.GetId()
	}
	return out
}

func TestListTasksSortsAndPagesWithoutDuplicatesOrGaps(t *testing.T) {
	e := newEnv(t)
	f := newListFixture(t, e, 300)
	var live []*taskv1.Task
	for _, task := range f.tasks {
		if task.GetDeletedAt() == nil {
			live = append(live, task)
		}
	}
	due := func(t *taskv1.Task) *time.Time {
		if t.GetDue() == nil {
			return nil
		}
		at := t.GetDue().GetAt().AsTime()
		return &at
	}
	keys := map[taskv1.TaskSortField]func(a, b *taskv1.Task) int{
		taskv1.TaskSortField_TASK_SORT_FIELD_CREATED_AT: func(a, b *taskv1.Task) int { return a.GetCreatedAt().AsTime().Compare(b.GetCreatedAt().AsTime()) },
		taskv1.TaskSortField_TASK_SORT_FIELD_UPDATED_AT: func(a, b *taskv1.Task) int { return a.GetUpdatedAt().AsTime().Compare(b.GetUpdatedAt().AsTime()) },
		taskv1.TaskSortField_TASK_SORT_FIELD_PRIORITY:   func(a, b *taskv1.Task) int { return cmp.Compare(a.GetPriority(), b.GetPriority()) },
		taskv1.TaskSortField_TASK_SORT_FIELD_TITLE: func(a, b *taskv1.Task) int {
			return strings.Compare(strings.ToLower(a.GetTitle()), strings.ToLower(b.GetTitle()))
		},
		taskv1.TaskSortField_TASK_SORT_FIELD_DUE: func(a, b *taskv1.Task) int {
			return due(a).Compare(*due(b))
		},
	}
	for field, key := range keys {
		for _, desc := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s desc=%v", field, desc), func(t *testing.T) {
				want := slices.Clone(live)
				slices.SortFunc(want, func(a, b *taskv1.Task) int {
					if field == taskv1.TaskSortField_TASK_SORT_FIELD_DUE && (due(a) == nil) != (due(b) == nil) {
						if due(a) == nil {
							return 1 // no due date last, in both directions
						}
						return -1
					}
					c := 0
					if field != taskv1.TaskSortField_TASK_SORT_FIELD_DUE || due(a) != nil {
						c = key(a, b)
					}
					if c == 0 {
						c = strings.Compare(a.GetId(), b.GetId())
					}
					if desc {
						return -c
					}
					return c
				})
				got := f.listAll(t, &taskv1.ListTasksRequest{PageSize: 7, SortBy: field, Descending: desc})
				if !slices.Equal(ids(got), ids(want)) {
					t.Fatalf("paged order differs from the expected order:\n got %d tasks %v\nwant %d tasks %v", len(got), ids(got)[:min(5, len(got))], len(want), ids(want)[:5])
				}
			})
		}
	}
}

func TestListTasksFilters(t *testing.T) {
	e := newEnv(t)
	f := newListFixture(t, e, 120)
	now := time.Now()
	hasTag := func(task *taskv1.Task, id string) bool { return slices.Contains(task.GetTagIds(), id) }
	live := func(task *taskv1.Task) bool { return task.GetDeletedAt() == nil }
	from, to := f.now.Truncate(time.Hour).Add(-2*24*time.Hour), f.now.Truncate(time.Hour).Add(2*24*time.Hour)
	cases := []struct {
		name string
		req  *taskv1.ListTasksRequest
		want func(*taskv1.Task) bool
	}{
		{"everything live", &taskv1.ListTasksRequest{}, live},
		{"including deleted", &taskv1.ListTasksRequest{IncludeDeleted: true}, func(*taskv1.Task) bool { return true }},
		{"completed", &taskv1.ListTasksRequest{Status: taskv1.TaskStatus_TASK_STATUS_COMPLETED}, func(t *taskv1.Task) bool {
			return live(t) && t.GetStatus() == taskv1.TaskStatus_TASK_STATUS_COMPLETED
		}},
		{"high or low", &taskv1.ListTasksRequest{Priorities: []taskv1.Priority{taskv1.Priority_PRIORITY_HIGH, taskv1.Priority_PRIORITY_LOW}}, func(t *taskv1.Task) bool {
			return live(t) && (t.GetPriority() == taskv1.Priority_PRIORITY_HIGH || t.GetPriority() == taskv1.Priority_PRIORITY_LOW)
		}},
		{"all of two tags", &taskv1.ListTasksRequest{TagIds: []string{f.tagA, f.tagB}}, func(t *taskv1.Task) bool {
			return live(t) && hasTag(t, f.tagA) && hasTag(t, f.tagB)
		}},
		{"one tag and high", &taskv1.ListTasksRequest{TagIds: []string{f.tagB}, Priorities: []taskv1.Priority{taskv1.Priority_PRIORITY_HIGH}}, func(t *taskv1.Task) bool {
			return live(t) && hasTag(t, f.tagB) && t.GetPriority() == taskv1.Priority_PRIORITY_HIGH
		}},
		{"due range", &taskv1.ListTasksRequest{DueAfter: timestamppb.New(from), DueBefore: timestamppb.New(to)}, func(t *taskv1.Task) bool {
			if !live(t) || t.GetDue() == nil {
				return false
			}
			at := t.GetDue().GetAt().AsTime()
			return !at.Before(from) && at.Before(to)
		}},
		{"overdue", &taskv1.ListTasksRequest{Overdue: true}, func(t *taskv1.Task) bool {
			return live(t) && t.GetStatus() == taskv1.TaskStatus_TASK_STATUS_PENDING && t.GetDue() != nil && t.GetDue().GetAt().AsTime().Before(now)
		}},
		{"no due date", &taskv1.ListTasksRequest{NoDue: true}, func(t *taskv1.Task) bool { return live(t) && t.GetDue() == nil }},
		{"search ignores case, in description", &taskv1.ListTasksRequest{Query: "nEEDLE"}, func(t *taskv1.Task) bool {
			return live(t) && strings.Contains(strings.ToLower(t.GetDescription()), "needle")
		}},
		{"search in title", &taskv1.ListTasksRequest{Query: "banana"}, func(t *taskv1.Task) bool {
			return live(t) && strings.EqualFold(t.GetTitle(), "banana")
		}},
		{"search treats % and _ literally", &taskv1.ListTasksRequest{Query: "%_"}, func(*taskv1.Task) bool { return false }},
		{"search and filter together", &taskv1.ListTasksRequest{Query: "needle", TagIds: []string{f.tagA}, Status: taskv1.TaskStatus_TASK_STATUS_PENDING}, func(t *taskv1.Task) bool {
			return live(t) && strings.Contains(strings.ToLower(t.GetDescription()), "needle") && hasTag(t, f.tagA) && t.GetStatus() == taskv1.TaskStatus_TASK_STATUS_PENDING
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.req.PageSize = 13
			got := ids(f.listAll(t, c.req))
			var want []string
			for _, task := range f.tasks {
				if c.want(task) {
					want = append(want, task.GetId())
				}
			}
			slices.Sort(got)
			slices.Sort(want)
			if len(want) == 0 && c.name != "search treats % and _ literally" {
				t.Fatal("fixture gives this case nothing to find")
			}
			if !slices.Equal(got, want) {
				t.Fatalf("got %d tasks, want %d", len(got), len(want))
			}
		})
	}
}

func TestListTasksDefaultPageSizeIs50(t *testing.T) {
	e := newEnv(t)
	f := newListFixture(t, e, 60)
	resp, err := f.u.tasks.ListTasks(context.Background(), connect.NewRequest(&taskv1.ListTasksRequest{}))
	if err != nil {
		t.Fatal(err)
	}
	if n := len(resp.Msg.GetTasks()); n != 50 || resp.Msg.GetNextPageToken() == "" {
		t.Fatalf("first page has %d tasks (next token %q); want 50 and a token", n, resp.Msg.GetNextPageToken())
	}
}
