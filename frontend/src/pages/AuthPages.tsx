import { useState, type FormEvent } from "react";
import { Link, useLocation, useNavigate } from "react-router";
import { create } from "@bufbuild/protobuf";
import { useMutation } from "@connectrpc/connect-query";
import { Code } from "@connectrpc/connect";
import { AuthService, SignInRequestSchema, SignUpRequestSchema } from "../gen/taskmesh/auth/v1/auth_pb";
import { useApp } from "../api/AppContext";
import { fromProto } from "../api/session";
import { codeOf, errorFor, messageOf, serverFieldErrors, type FieldErrors } from "../api/errors";
import { validateMessage } from "../forms/validate";
import { Field } from "../forms/Field";
import { browserTimeZone } from "../lib/time";

function useAfterSignIn() {
  const { session } = useApp();
  const navigate = useNavigate();
  const location = useLocation();
  const next = new URLSearchParams(location.search).get("next");
  return (s: Parameters<typeof fromProto>[0] | undefined) => {
    if (!s) return;
    session.set(fromProto(s));
    navigate(next && next.startsWith("/") && !next.startsWith("//") ? next : "/", { replace: true });
  };
}

function AuthCard({ title, children }: { title: string; children: React.ReactNode }) {
  return (
    <main className="auth-page">
      <div className="auth-card">
        <p className="brand-large" aria-hidden="true">
          ✓ Taskmesh
        </p>
        <h1>{title}</h1>
        {children}
      </div>
    </main>
  );
}

/** SignInPage: email and password; says so when the last session expired. */
export function SignInPage() {
  const { session } = useApp();
  const after = useAfterSignIn();
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [errors, setErrors] = useState<FieldErrors>({});
  const signIn = useMutation(AuthService.method.signIn, {
    onSuccess: (res) => after(res.session),
    onError: (e) => setErrors(serverFieldErrors(e)),
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const req = create(SignInRequestSchema, { email: email.trim(), password });
    const v = validateMessage(SignInRequestSchema, req);
    setErrors(v);
    if (Object.keys(v).length === 0) signIn.mutate(req);
  };
  const failure = signIn.error
    ? codeOf(signIn.error) === Code.Unauthenticated
      ? "Wrong email or password."
      : messageOf(signIn.error)
    : null;
  return (
    <AuthCard title="Sign in">
      {session.endReason === "expired" && (
        <p className="notice" role="status">
          Your session has expired. Please sign in again.
        </p>
      )}
      <form onSubmit={submit} noValidate>
        <Field label="Email" error={errorFor(errors, "email")}>
          <input type="email" autoComplete="email" value={email} onChange={(e) => setEmail(e.target.value)} required />
        </Field>
        <Field label="Password" error={errorFor(errors, "password")}>
          <input type="password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.target.value)} required />
        </Field>
        {failure && (
          <p className="form-error" role="alert">
            {failure}
          </p>
        )}
        <button type="submit" className="button primary wide" disabled={signIn.isPending}>
          {signIn.isPending ? "Signing in…" : "Sign in"}
        </button>
      </form>
      <p className="switch-auth">
        New here? <Link to="/signup">Create an account</Link>
      </p>
    </AuthCard>
  );
}

/** SignUpPage: email, password, name and time zone (the browser's by default). */
export function SignUpPage() {
  const after = useAfterSignIn();
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [displayName, setDisplayName] = useState("");
  const [errors, setErrors] = useState<FieldErrors>({});
  const signUp = useMutation(AuthService.method.signUp, {
    onSuccess: (res) => after(res.session),
    onError: (e) => {
      const f = serverFieldErrors(e);
      if (codeOf(e) === Code.AlreadyExists) f.email = "An account with this email already exists.";
      setErrors(f);
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const req = create(SignUpRequestSchema, { email: email.trim(), password, displayName: displayName.trim(), timeZone: browserTimeZone() });
    const v = validateMessage(SignUpRequestSchema, req);
    setErrors(v);
    if (Object.keys(v).length === 0) signUp.mutate(req);
  };
  const failure = signUp.error && codeOf(signUp.error) !== Code.AlreadyExists && codeOf(signUp.error) !== Code.InvalidArgument ? messageOf(signUp.error) : null;
  return (
    <AuthCard title="Create your account">
      <form onSubmit={submit} noValidate>
        <Field label="Email" error={errorFor(errors, "email")}>
          <input type="email" autoComplete="email" value={email} onChange={(e) => setEmail(e.target.value)} required />
        </Field>
        <Field label="Password" hint="8 to 128 characters." error={errorFor(errors, "password")}>
          <input type="password" autoComplete="new-password" value={password} onChange={(e) => setPassword(e.target.value)} required />
        </Field>
        <Field label="Name (optional)" error={errorFor(errors, "display_name")}>
          <input type="text" autoComplete="nickname" value={displayName} onChange={(e) => setDisplayName(e.target.value)} />
        </Field>
        {failure && (
          <p className="form-error" role="alert">
            {failure}
          </p>
        )}
        <button type="submit" className="button primary wide" disabled={signUp.isPending}>
          {signUp.isPending ? "Creating account…" : "Sign up"}
        </button>
      </form>
      <p className="switch-auth">
        Already have an account? <Link to="/signin">Sign in</Link>
      </p>
    </AuthCard>
  );
}
