package handler_test

import (
	"context"
	"slices"
	"testing"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/proto"

	taskv1 "github.com/taskmesh/taskmesh/gen/taskmesh/task/v1"
	"github.com/taskmesh/taskmesh/pkg/rpctest"
)

func TestSyncTasksReturnsEveryChangeAfterASequenceWithTombstones(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	for _, p := range rpctest.Protocols {
		t.Run(p.Name, func(t *testing.T) {
			u, other := e.newUser(p), e.newUser(p)
			create := func(c *clients, title string) *taskv1.Task {
				r, err := c.tasks.CreateTask(ctx, connect.NewRequest(&taskv1.CreateTaskRequest{Task: &taskv1.Task{Title: title}}))
				if err != nil {
					t.Fatal(err)
				}
				return r.Msg.GetTask()
			}
			a, b, c := create(u, "a"), create(u, "b"), create(u, "c")
			create(other, "someone else's") // another user's sequence is separate

			sync := func(since int64, size int32) *taskv1.SyncTasksResponse {
				r, err := u.tasks.SyncTasks(ctx, connect.NewRequest(&taskv1.SyncTasksRequest{SinceChangeSeq: since, PageSize: size}))
				if err != nil {
					t.Fatal(err)
				}
				return r.Msg
			}
			full := sync(0, 0)
			if got := ids(full.GetTasks()); !slices.Equal(got, []string{a.GetId(), b.GetId(), c.GetId()}) || full.GetChangeSeq() != 3 || full.GetHasMore() {
				t.Fatalf("sync from 0 = %v (mark %d, more %v); want a, b, c, mark 3", got, full.GetChangeSeq(), full.GetHasMore())
			}

			// A client at mark 3 then misses: b deleted (seq 4), a completed (5).
			if _, err := u.tasks.DeleteTask(ctx, connect.NewRequest(&taskv1.DeleteTaskRequest{Id: b.GetId()})); err != nil {
				t.Fatal(err)
			}
			done, err := u.tasks.CompleteTask(ctx, connect.NewRequest(&taskv1.CompleteTaskRequest{Id: a.GetId()}))
			if err != nil {
				t.Fatal(err)
			}
			missed := sync(3, 0)
			if got := ids(missed.GetTasks()); !slices.Equal(got, []string{b.GetId(), a.GetId()}) || missed.GetChangeSeq() != 5 {
				t.Fatalf("sync from 3 = %v (mark %d); want b then a, mark 5", got, missed.GetChangeSeq())
			}
			if missed.GetTasks()[0].GetDeletedAt() == nil {
				t.Fatal("the deleted task comes back without deleted_at: not a tombstone")
			}
			if !proto.Equal(missed.GetTasks()[1], done.Msg.GetTask()) {
				t.Fatal("sync does not return the task's latest state")
			}

			// Paging: one task per call, resuming from the returned mark, misses nothing.
			var paged []string
			mark := int64(0)
			for range 10 {
				page := sync(mark, 1)
				paged = append(paged, ids(page.GetTasks())...)
				mark = page.GetChangeSeq()
				if !page.GetHasMore() {
					break
				}
			}
			if !slices.Equal(paged, []string{c.GetId(), b.GetId(), a.GetId()}) || mark != 5 {
				t.Fatalf("paged sync = %v (mark %d); want c, b, a (each once, latest change order), mark 5", paged, mark)
			}
			if caughtUp := sync(5, 0); len(caughtUp.GetTasks()) != 0 || caughtUp.GetChangeSeq() != 5 {
				t.Fatalf("sync from the latest mark = %v; want nothing, mark 5", caughtUp)
			}
		})
	}
}
