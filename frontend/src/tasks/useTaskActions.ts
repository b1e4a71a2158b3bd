import { useMutation } from "@connectrpc/connect-query";
import { useQueryClient } from "@tanstack/react-query";
import { TaskService, type Task } from "../gen/taskmesh/task/v1/task_pb";
import { applyTask } from "./taskCache";
import { useToasts } from "../components/Toasts";
import { messageOf } from "../api/errors";

/**
 * useTaskActions gives the one-click actions of a task card: complete, reopen, and delete
 * with an undo (RestoreTask) offered in a toast. Each patches the cache with the task the
 * server returns; failures show a toast.
 */
export function useTaskActions() {
  const qc = useQueryClient();
  const toasts = useToasts();
  const onError = (e: unknown) => toasts.show({ tone: "error", message: messageOf(e) });
  const onTask = (res: { task?: Task }) => res.task && applyTask(qc, res.task);
  const complete = useMutation(TaskService.method.completeTask, { onSuccess: onTask, onError });
  const reopen = useMutation(TaskService.method.reopenTask, { onSuccess: onTask, onError });
  const restore = useMutation(TaskService.method.restoreTask, {
    onSuccess: (res) => {
      onTask(res);
      toasts.show({ tone: "success", message: `Restored “${res.task?.title ?? "task"}”.` });
    },
    onError,
  });
  const remove = useMutation(TaskService.method.deleteTask, {
    onSuccess: (res) => {
      onTask(res);
      const t = res.task;
      if (!t) return;
      toasts.show({
        message: `Deleted “${t.title}”.`,
        duration: 10_000,
        action: { label: "Undo", run: () => restore.mutate({ id: t.id }) },
      });
    },
    onError,
  });
  return {
    complete: (t: Task) => complete.mutate({ id: t.id }),
    reopen: (t: Task) => reopen.mutate({ id: t.id }),
    remove: (t: Task) => remove.mutate({ id: t.id }),
    busyId: [complete, reopen, remove].find((m) => m.isPending)?.variables?.id,
  };
}
