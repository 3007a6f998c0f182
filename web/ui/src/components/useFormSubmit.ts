import { useState, type FormEvent } from "react";

/**
 * The submit handler of a form whose action calls the API: it keeps the form busy while the
 * action runs and keeps its error (an ApiError puts problems on fields, see fieldError).
 */
export function useFormSubmit(action: () => Promise<void>): { busy: boolean; error: unknown; submit: (e: FormEvent) => Promise<void> } {
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      await action();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return { busy, error, submit };
}
