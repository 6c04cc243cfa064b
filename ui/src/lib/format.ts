// Display formats shared by every screen. The backend speaks RFC 3339 UTC; people read
// their own locale and time zone, so formatting happens here, once, at the edge.
const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

/** A local, human date-time for an RFC 3339 timestamp; the input itself if it is not one. */
export function formatDateTime(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : dateTime.format(date);
}
