import type { DescMessage, MessageShape } from "@bufbuild/protobuf";
import { pathToString } from "@bufbuild/protobuf/reflect";
import { createValidator, type Validator } from "@bufbuild/protovalidate";
import type { FieldErrors } from "../api/errors";

let validator: Validator | undefined;

/**
 * validateMessage checks msg against the protovalidate rules of its schema (the same
 * rules the server enforces) and returns the violations by field path, empty when valid.
 */
export function validateMessage<Desc extends DescMessage>(schema: Desc, msg: MessageShape<Desc>): FieldErrors {
  validator ??= createValidator();
  const res = validator.validate(schema, msg);
  const out: FieldErrors = {};
  if (res.kind === "invalid") {
    for (const v of res.violations) {
      const key = pathToString(v.field);
      if (!(key in out)) out[key] = v.message;
    }
  } else if (res.kind === "error") {
    out[""] = res.error.message;
  }
  return out;
}

/**
 * warmValidator compiles the rules of schema ahead of the first real validation (the first
 * validation of a message type compiles its CEL rules, long enough to delay a Save), by
 * validating an empty message when the browser is idle.
 */
export function warmValidator<Desc extends DescMessage>(schema: Desc, empty: MessageShape<Desc>): void {
  const run = () => void validateMessage(schema, empty);
  if (typeof requestIdleCallback === "function") requestIdleCallback(run);
  else setTimeout(run, 0);
}
