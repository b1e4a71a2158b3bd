import { Code, ConnectError } from "@connectrpc/connect";
import type { FieldPath } from "../gen/buf/validate/validate_pb";
import { ViolationsSchema } from "../gen/buf/validate/validate_pb";

/** FieldErrors maps a field path ("task.title", "task.reminders[0].at") to its message. */
export type FieldErrors = Record<string, string>;

/** fieldPathString renders a protovalidate FieldPath as "task.reminders[0].at". */
export function fieldPathString(p: FieldPath | undefined): string {
  if (!p) return "";
  let out = "";
  for (const el of p.elements) {
    if (out) out += ".";
    out += el.fieldName;
    switch (el.subscript.case) {
      case "index":
      case "intKey":
      case "uintKey":
        out += `[${el.subscript.value}]`;
        break;
      case "boolKey":
        out += `[${el.subscript.value}]`;
        break;
      case "stringKey":
        out += `["${el.subscript.value}"]`;
        break;
    }
  }
  return out;
}

/** serverFieldErrors reads the buf.validate.Violations detail of an InvalidArgument error. */
export function serverFieldErrors(err: unknown): FieldErrors {
  const out: FieldErrors = {};
  if (!(err instanceof ConnectError)) return out;
  for (const v of err.findDetails(ViolationsSchema)) {
    for (const one of v.violations) {
      const key = fieldPathString(one.field);
      if (!(key in out)) out[key] = one.message;
    }
  }
  return out;
}

/** errorFor picks the first error at path or below it ("task.due" covers "task.due.at"). */
export function errorFor(errors: FieldErrors, path: string): string | undefined {
  if (errors[path]) return errors[path];
  for (const [k, v] of Object.entries(errors)) {
    if (k.startsWith(path + ".") || k.startsWith(path + "[")) return v;
  }
  return undefined;
}

/** messageOf is a sentence for the user about a failed call. */
export function messageOf(err: unknown): string {
  if (err instanceof ConnectError) {
    switch (err.code) {
      case Code.Unavailable:
        return "The server cannot be reached. Check your connection and try again.";
      case Code.Unauthenticated:
        return "Your session has expired. Please sign in again.";
      case Code.ResourceExhausted:
        return "Too many attempts. Please wait a moment and try again.";
      case Code.Internal:
      case Code.Unknown:
        return "Something went wrong on our side. Please try again.";
      case Code.PermissionDenied:
        return "You are not allowed to do that.";
      default:
        return err.rawMessage || "Something went wrong.";
    }
  }
  if (err instanceof Error) return err.message;
  return "Something went wrong.";
}

/** codeOf is the Connect code of err, or undefined when it is not a ConnectError. */
export function codeOf(err: unknown): Code | undefined {
  return err instanceof ConnectError ? err.code : undefined;
}
