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
