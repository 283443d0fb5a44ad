/** What a request to the fault server asked, for the tests to check (also served as JSON at `/_requests`). */
export interface LoggedRequest {
  readonly method: string;
  readonly path: string;
  readonly range: string | null;
  readonly ifRange: string | null;
  readonly ifMatch: string | null;
  readonly authorization: string | null;
  readonly origin: string | null;
  readonly accessControlRequestHeaders: string | null;
  readonly acceptEncoding: string | null;
  /** The connection closed before the whole body was sent (the client aborted, or a fault cut it). */
  closedEarly: boolean;
  /** Body bytes sent (updated as they go). */
  sent: number;
  readonly status: number;
}
