package rpctest_test

import (
	"context"
	"slices"
	"strconv"
	"testing"

	"connectrpc.com/connect"

	taskv1 "github.com/taskmesh/taskmesh/gen/taskmesh/task/v1"
	"github.com/taskmesh/taskmesh/pkg/rpctest"
)

// fakeList pages through titles "0".."n-1"; a page token is the index to start at. It
// records the requests it gets.
type fakeList struct {
	n    int
	seen []*taskv1.ListTasksRequest
}

func (f *fakeList) list(_ context.Context, req *connect.Request[taskv1.ListTasksRequest]) (*connect.Response[taskv1.ListTasksResponse], error) {
	f.seen = append(f.seen, req.Msg)
	start := 0
	if tok := req.Msg.GetPageToken(); tok != "" {
		start, _ = strconv.Atoi(tok)
	}
	end := min(start+int(req.Msg.GetPageSize()), f.n)
	resp := &taskv1.ListTasksResponse{}
	for i := start; i < end; i++ {
		resp.Tasks = append(resp.Tasks, &taskv1.Task{Title: strconv.Itoa(i)})
	}
	if end < f.n {
		resp.NextPageToken = strconv.Itoa(end)
	}
	return connect.NewResponse(resp), nil
}

func titles(tasks []*taskv1.Task) []string {
	out := make([]string, len(tasks))
	for i, t := range tasks {
		out[i] = t.GetTitle()
	}
	return out
}

func TestListAllFollowsTheTokens(t *testing.T) {
	f := &fakeList{n: 5}
	query := &taskv1.ListTasksRequest{Query: "milk", PageSize: 100}
	got := titles(rpctest.ListAll(t, f.list, query, 2, (*taskv1.ListTasksResponse).GetTasks))
	if want := []string{"0", "1", "2", "3", "4"}; !slices.Equal(got, want) {
		t.Fatalf("ListAll = %v; want %v", got, want)
	}
	if len(f.seen) != 3 {
		t.Fatalf("%d requests; want 3 pages of at most 2", len(f.seen))
	}
	for i, req := range f.seen {
		if req.GetQuery() != "milk" || req.GetPageSize() != 2 {
			t.Fatalf("request %d = %v; want the query with page_size 2", i, req)
		}
	}
	if query.GetPageSize() != 100 || query.GetPageToken() != "" {
		t.Fatalf("ListAll changed the caller's query: %v", query)
	}

	// From a page token: the rest only.
	got = titles(rpctest.ListAll(t, (&fakeList{n: 5}).list, &taskv1.ListTasksRequest{PageToken: "3"}, 2, (*taskv1.ListTasksResponse).GetTasks))
	if want := []string{"3", "4"}; !slices.Equal(got, want) {
		t.Fatalf("ListAll from token 3 = %v; want %v", got, want)
	}
}

func TestNewRequestAppliesEdits(t *testing.T) {
	req := rpctest.NewRequest(
		func(m *taskv1.ListTasksRequest) { m.Query = "a" },
		func(m *taskv1.ListTasksRequest) { m.Query += "b"; m.Overdue = true },
	)
	if req.Msg.GetQuery() != "ab" || !req.Msg.GetOverdue() {
		t.Fatalf("NewRequest = %v; want both edits in order", req.Msg)
	}
	if empty := rpctest.NewRequest[taskv1.ListTasksRequest](); empty.Msg == nil || empty.Msg.GetQuery() != "" {
		t.Fatalf("NewRequest() = %v; want an empty message", empty.Msg)
	}
}
