import { useState } from "react";
import { errorMessage, fieldError } from "../api/client";
import { useFormSubmit } from "./useFormSubmit";
import { Field, FormError } from "./Field";

interface NameFormProps {
  label: string;
  submitLabel: string;
  initial?: string;
  /** Sends the name; a thrown ApiError about /name is shown on the field, others under the form. */
  onSubmit: (name: string) => Promise<void>;
  onCancel?: () => void;
  autoFocus?: boolean;
  className?: string;
  testId?: string;
}

/** A one-field form for naming things: workspaces, apps, pages. */
export function NameForm({ label, submitLabel, initial = "", onSubmit, onCancel, autoFocus, className, testId }: NameFormProps) {
  const [name, setName] = useState(initial);
  const { busy, error, submit } = useFormSubmit(async () => {
    await onSubmit(name.trim());
    setName(initial);
  });

  const nameErr = fieldError(error, "name");
  return (
    <form
      className={"name-form" + (className ? " " + className : "")}
      onSubmit={submit}
      onKeyDown={(e) => {
        if (e.key === "Escape" && onCancel) onCancel();
      }}
      data-testid={testId}
      noValidate
    >
      <div className="name-form-row">
        <Field label={label} value={name} onChange={setName} error={nameErr} autoFocus={autoFocus} autoComplete="off" required />
        <button type="submit" disabled={busy || name.trim() === ""}>
          {submitLabel}
        </button>
        {onCancel && (
          <button type="button" className="secondary" onClick={onCancel}>
            Cancel
          </button>
        )}
      </div>
      <FormError message={error !== undefined && !nameErr ? errorMessage(error) : undefined} />
    </form>
  );
}
