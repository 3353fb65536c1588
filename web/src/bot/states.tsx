import type { ReactNode } from "react";
import { ApiError } from "../api.js";

/**
 * A view's data as it stands: loading, failed (the API's message; a 403 says
 * which role it takes), empty, or there. Every bot view shows the same four.
 */
export function Loadable<T>(props: {
  data: T | undefined;
  error: Error | null;
  empty?: (data: T) => boolean;
  emptyText: ReactNode;
  what: string;
  children: (data: T) => ReactNode;
}) {
  if (props.error) return <Failed error={props.error} what={props.what} />;
  if (props.data === undefined)
    return (
      <p className="muted loading" role="status">
        Loading {props.what}…
      </p>
    );
  if (props.empty?.(props.data)) return <p className="muted empty-state">{props.emptyText}</p>;
  return <>{props.children(props.data)}</>;
}

export function Failed({ error, what }: { error: Error; what: string }) {
  const message =
    error instanceof ApiError && error.status === 403
      ? `${what}: ${error.message}`
      : `could not read ${what}: ${error.message}`;
  return (
    <p className="error" role="alert">
      {message}
    </p>
  );
}
