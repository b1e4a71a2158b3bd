import { useMemo, useState, type FormEvent } from "react";
import { create } from "@bufbuild/protobuf";
import { useMutation } from "@connectrpc/connect-query";
import { useQueryClient } from "@tanstack/react-query";
import { AuthService, UpdateProfileRequestSchema, type GetMeResponse } from "../gen/taskmesh/auth/v1/auth_pb";
import { useMe } from "../auth/useMe";
import { queryKeys } from "../api/queryKeys";
import { errorFor, messageOf, serverFieldErrors, type FieldErrors } from "../api/errors";
import { validateMessage } from "../forms/validate";
import { Field } from "../forms/Field";
import { Spinner } from "../components/Status";
import { useToasts } from "../components/Toasts";
import { browserTimeZone, timeZones } from "../lib/time";

/** SettingsPage: the display name and the time zone that due dates and repeats are read in. */
export function SettingsPage() {
  const { user } = useMe();
  if (!user) return <Spinner />;
  return <ProfileForm key={user.id} name={user.displayName} tz={user.timeZone} email={user.email} />;
}

function ProfileForm({ name, tz, email }: { name: string; tz: string; email: string }) {
  const qc = useQueryClient();
  const toasts = useToasts();
  const [displayName, setDisplayName] = useState(name);
  const [timeZone, setTimeZone] = useState(tz || "UTC");
  const [errors, setErrors] = useState<FieldErrors>({});
  const zones = useMemo(() => {
    const all = timeZones();
    return all.includes(timeZone) ? all : [timeZone, ...all];
  }, [timeZone]);
  const update = useMutation(AuthService.method.updateProfile, {
    onSuccess: (res) => {
      qc.setQueriesData<GetMeResponse>({ queryKey: queryKeys.getMe }, (old) => (old && res.user ? { ...old, user: res.user } : old));
      setErrors({});
      toasts.show({ tone: "success", message: `Saved. Times are shown in ${res.user?.timeZone}.` });
    },
    onError: (e) => {
      const f = serverFieldErrors(e);
      setErrors(Object.keys(f).length ? f : { "": messageOf(e) });
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const req = create(UpdateProfileRequestSchema, {});
    if (displayName.trim() !== name) req.displayName = displayName.trim();
    if (timeZone !== tz) req.timeZone = timeZone;
    const v = validateMessage(UpdateProfileRequestSchema, req);
    setErrors(v);
    if (!Object.keys(v).length) update.mutate(req);
  };
  const local = browserTimeZone();
  return (
    <section className="page settings" aria-labelledby="settings-title">
      <h1 id="settings-title">Settings</h1>
      <form onSubmit={submit} noValidate className="card">
        <p className="muted">Signed in as {email}</p>
        <Field label="Name" error={errorFor(errors, "display_name")}>
          <input type="text" value={displayName} onChange={(e) => setDisplayName(e.target.value)} maxLength={100} />
        </Field>
        <Field
          label="Time zone"
          hint={
            local !== timeZone ? (
              <>
                This browser is in {local}.{" "}
                <button type="button" className="link-button" onClick={() => setTimeZone(local)}>
                  Use it
                </button>
              </>
            ) : (
              "Due dates, all-day tasks and repeats are read in this zone."
            )
          }
          error={errorFor(errors, "time_zone")}
        >
          <select value={timeZone} onChange={(e) => setTimeZone(e.target.value)}>
            {zones.map((z) => (
              <option key={z} value={z}>
                {z}
              </option>
            ))}
          </select>
        </Field>
        {errors[""] && (
          <p className="form-error" role="alert">
            {errors[""]}
          </p>
        )}
        <button type="submit" className="button primary" disabled={update.isPending}>
          {update.isPending ? "Saving…" : "Save"}
        </button>
      </form>
    </section>
  );
}
