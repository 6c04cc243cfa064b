// Display formats shared by every screen. The backend speaks RFC 3339 UTC; people read
// their own locale and time zone, so formatting happens here, once, at the edge.

/** Whether `locale`'s numbers group their digits ("1,000,000", "1 000 000"). */
function groupsDigits(locale?: string): boolean {
  try {
    return /\D/.test(new Intl.NumberFormat(locale).format(1_000_000));
  } catch {
    return false;
  }
}

/**
 * The locale every format here uses: the user's, unless it groups no digits — LANG=C
 * reaches the webview as ICU's POSIX English, which writes "1500000" — and then the
 * webview's language, or plain English, so numbers read "1,500,000" on every screen.
 * Decided by what the formatter does rather than by the locale's name.
 */
export function displayLocale(
  groups: (locale?: string) => boolean = groupsDigits,
  language: string | undefined = globalThis.navigator?.language,
): string | undefined {
  if (groups(undefined)) return undefined;
  if (language && groups(language)) return language;
  return "en-US";
}

/**
 * A formatter made on first use rather than as the app loads. Each one makes the webview
 * load its share of ICU's locale data (dates, time zones, compact numbers, relative
 * times): about 4 MiB of the web process for all of them, measured in a bare WebKitGTK
 * page (docs/benchmarks.md, issue #20), paid only once a screen shows what it formats.
 */
function lazily<T>(make: () => T): () => T {
  let made: { value: T } | undefined;
  return () => (made ??= { value: make() }).value;
}

/**
 * One formatter per key (a time zone, a currency), made the first time that key is asked
 * for and kept, so a table formatting every row in one zone makes one. A key the webview
 * refuses (an unknown zone or currency) throws, is not kept, and throws again next time.
 */
function perKey<T>(make: (key: string) => T): (key: string) => T {
  const made = new Map<string, T>();
  return (key) => {
    let value = made.get(key);
    if (value === undefined) {
      value = make(key);
      made.set(key, value);
    }
    return value;
  };
}

/** `displayLocale()`, decided once (it formats a number to decide) and kept for every format. */
export const locale = lazily(() => displayLocale());
const dateTime = lazily(() => new Intl.DateTimeFormat(locale(), { dateStyle: "medium", timeStyle: "short" }));

/** The user's time zone (IANA name), "UTC" when the webview does not say. */
export function localTimeZone(): string {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
  } catch {
    return "UTC";
  }
}

/**
 * A formatter in another zone, for the one screen that lets people choose it (Usage &
 * Spend reads UTC for finance): same locale and style as the local one. An unknown zone
 * falls back to the local formatter rather than throwing in the middle of a render.
 */
function inZone(zoned: (timeZone: string) => Intl.DateTimeFormat, local: () => Intl.DateTimeFormat, timeZone?: string): Intl.DateTimeFormat {
  if (!timeZone) return local();
  try {
    return zoned(timeZone);
  } catch {
    return local();
  }
}

const dateTimeIn = perKey((timeZone) => new Intl.DateTimeFormat(locale(), { dateStyle: "medium", timeStyle: "short", timeZone }));
const dateOnlyIn = perKey((timeZone) => new Intl.DateTimeFormat(locale(), { dateStyle: "medium", timeZone }));

/** Money in a currency (ISO 4217 code), "$12.50" in the user's locale; throws for a code the webview does not know. */
export const currencyFormat = perKey((currency) => new Intl.NumberFormat(locale(), { style: "currency", currency }));

/** A human date-time for an RFC 3339 timestamp, local unless a zone is chosen; the input itself if it is not one. */
export function formatDateTime(iso: string, timeZone?: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return inZone(dateTimeIn, dateTime, timeZone).format(date);
}

const exactDateTime = lazily(() => new Intl.DateTimeFormat(locale(), { dateStyle: "medium", timeStyle: "long" }));

/** The same local time to the second and with its zone, for tooltips (never raw UTC). */
export function formatExactDateTime(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : exactDateTime().format(date);
}

// Numbers and times read the same on every screen: grouped digits in the user's locale,
// and every time in the user's local zone (the one convention; the backend's UTC never
// reaches a person unformatted).
const count = lazily(() => new Intl.NumberFormat(locale()));
const compact = lazily(() => new Intl.NumberFormat(locale(), { notation: "compact", maximumFractionDigits: 1 }));
const dateOnly = lazily(() => new Intl.DateTimeFormat(locale(), { dateStyle: "medium" }));
const relative = lazily(() => new Intl.RelativeTimeFormat(locale(), { numeric: "auto" }));

/** A count with thousands separators: 1,234,567. */
export function formatCount(value: number): string {
  return count().format(value);
}

/** A count short enough for a table cell: 1.2K, 3M. */
export function formatCompact(value: number): string {
  return compact().format(value);
}

/** A date without the time, local unless a zone is chosen; the input itself if it is not a timestamp. */
export function formatDate(iso: string, timeZone?: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return inZone(dateOnlyIn, dateOnly, timeZone).format(date);
}

const DAY_MS = 86_400_000;
/** [unit, its length, the span from which it is used]: days until 45 days ("in 12 days", not "next week"). */
const RELATIVE_UNITS: [Intl.RelativeTimeFormatUnit, number, number][] = [
  ["year", 365 * DAY_MS, 365 * DAY_MS],
  ["month", 30 * DAY_MS, 45 * DAY_MS],
  ["day", DAY_MS, DAY_MS],
  ["hour", 3_600_000, 3_600_000],
  ["minute", 60_000, 60_000],
];

/** "3 days ago", "in 12 days", "in 3 months", "now": the largest fitting unit, rounded. */
export function formatRelative(iso: string, now: Date = new Date()): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  const delta = date.getTime() - now.getTime();
  for (const [unit, size, from] of RELATIVE_UNITS) {
    // Rounded, so 11.9 days left reads "in 12 days".
    if (Math.abs(delta) >= from) return relative().format(Math.round(delta / size), unit);
  }
  return relative().format(0, "minute");
}

const clock = lazily(() => new Intl.DateTimeFormat(locale(), { hour: "2-digit", minute: "2-digit" }));
const dayClock = lazily(() => new Intl.DateTimeFormat(locale(), { weekday: "short", hour: "numeric", minute: "2-digit" }));

/** A local time of day, "14:00" (or "2:00 PM" where that is the custom). */
export function formatClock(date: Date): string {
  return clock().format(date);
}

/** A local weekday and time, "Sat 14:00", for short time axes. */
export function formatDayClock(date: Date): string {
  return dayClock().format(date);
}
