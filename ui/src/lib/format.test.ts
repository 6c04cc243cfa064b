// Date formatting: RFC 3339 from the backend becomes a local date-time; anything else is
// shown as received rather than as "Invalid Date".
import { afterEach, describe, expect, it, vi } from "vitest";
import { displayLocale, formatCompact, formatCount, formatDate, formatDateTime, formatExactDateTime, formatRelative } from "./format";

describe("formatDateTime", () => {
  it("formats an RFC 3339 timestamp for people", () => {
    const shown = formatDateTime("2025-03-14T09:26:53Z");
    expect(shown).not.toBe("2025-03-14T09:26:53Z");
    expect(shown).toMatch(/2025/);
  });

  it("returns input it cannot parse unchanged", () => {
    expect(formatDateTime("not a date")).toBe("not a date");
  });
});

describe("formatCount and formatCompact", () => {
  it("groups thousands the same way on every screen", () => {
    expect(formatCount(1234567)).toBe(new Intl.NumberFormat().format(1234567));
    expect(formatCount(1234567)).toMatch(/1.234.567/);
  });

  it("shortens large counts for table cells", () => {
    expect(formatCompact(1_500_000)).toBe(new Intl.NumberFormat(undefined, { notation: "compact", maximumFractionDigits: 1 }).format(1_500_000));
    expect(formatCompact(950)).toBe("950");
  });
});

describe("formatRelative", () => {
  const now = new Date("2026-03-10T12:00:00Z");

  it("says how far a time is from now, in the largest whole unit", () => {
    const rtf = new Intl.RelativeTimeFormat(undefined, { numeric: "auto" });
    expect(formatRelative("2026-03-07T12:00:00Z", now)).toBe(rtf.format(-3, "day"));
    expect(formatRelative("2026-03-22T12:00:00Z", now)).toBe(rtf.format(12, "day"));
    expect(formatRelative("2026-06-10T12:00:00Z", now)).toBe(rtf.format(3, "month"));
    expect(formatRelative("2028-03-10T12:00:00Z", now)).toBe(rtf.format(2, "year"));
    expect(formatRelative("2026-03-10T10:30:00Z", now)).toBe(rtf.format(-1, "hour"));
    expect(formatRelative("2026-03-10T12:00:20Z", now)).toBe(rtf.format(0, "minute"));
    expect(formatRelative("2026-03-22T11:00:00Z", now)).toBe(rtf.format(12, "day"));
  });

  it("returns input it cannot parse unchanged", () => {
    expect(formatRelative("soon", now)).toBe("soon");
  });
});

describe("displayLocale", () => {
  it("keeps the user's locale when it groups digits", () => {
    expect(displayLocale(() => true, "de-DE")).toBeUndefined();
  });

  it("falls back to the webview's language, then English, when the default groups none (LANG=C)", () => {
    // ICU's POSIX English: "1500000".
    const posixDefault = (locale?: string) => locale !== undefined;
    expect(displayLocale(posixDefault, "de-DE")).toBe("de-DE");
    expect(displayLocale((locale) => locale === "en-US", "c")).toBe("en-US");
    expect(displayLocale(posixDefault, undefined)).toBe("en-US");
    expect(new Intl.NumberFormat("en-US").format(1_500_000)).toBe("1,500,000");
  });
});

describe("formatExactDateTime", () => {
  it("gives the local time to the second with its zone, never the raw UTC string", () => {
    const shown = formatExactDateTime("2025-03-14T09:26:53Z");
    expect(shown).not.toContain("T09:26:53Z");
    expect(shown).toMatch(/:53/);
    expect(shown).toBe(new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "long" }).format(new Date("2025-03-14T09:26:53Z")));
  });
});

describe("formatDateTime and formatDate in a chosen zone", () => {
  it("reads the same instant in the zone the screen chose", () => {
    const at = "2026-11-12T14:00:00Z";
    expect(formatDateTime(at, "UTC")).toMatch(/2:00|14:00/);
    expect(formatDateTime(at, "Asia/Tokyo")).toMatch(/11:00|23:00/);
    expect(formatDate("2026-11-12T23:30:00Z", "Asia/Tokyo")).toMatch(/13/);
    expect(formatDateTime("not a date", "UTC")).toBe("not a date");
  });
});

describe("formatters", () => {
  type Made = "NumberFormat" | "DateTimeFormat" | "RelativeTimeFormat";
  type Constructor = new (...args: unknown[]) => object;
  const originals = {
    NumberFormat: Intl.NumberFormat,
    DateTimeFormat: Intl.DateTimeFormat,
    RelativeTimeFormat: Intl.RelativeTimeFormat,
  };

  afterEach(() => {
    for (const [name, original] of Object.entries(originals)) {
      Object.defineProperty(Intl, name, { value: original, configurable: true, writable: true });
    }
    vi.resetModules();
  });

  /** Counts `new Intl[name](…)` while leaving what it makes unchanged. */
  function countMade(name: Made): { made: number } {
    const counter = { made: 0 };
    const original = originals[name] as unknown as Constructor;
    const counted = new Proxy(original, {
      construct(target, args) {
        counter.made += 1;
        return Reflect.construct(target, args);
      },
    });
    Object.defineProperty(Intl, name, { value: counted, configurable: true, writable: true });
    return counter;
  }

  it("are made when first used, not as the app loads, and then kept", async () => {
    vi.resetModules();
    const numbers = countMade("NumberFormat");
    const dates = countMade("DateTimeFormat");
    const relatives = countMade("RelativeTimeFormat");
    const format = await import("./format");
    expect([numbers.made, dates.made, relatives.made]).toEqual([0, 0, 0]);

    expect(format.formatCount(1234)).toBe(new originals.NumberFormat().format(1234));
    const afterFirst = numbers.made;
    expect(afterFirst).toBeGreaterThan(0);
    format.formatCount(5678);
    expect(numbers.made).toBe(afterFirst);
    expect(dates.made).toBe(0);

    format.formatDateTime("2025-03-14T09:26:53Z");
    format.formatDateTime("2025-03-15T09:26:53Z");
    expect(dates.made).toBe(1);
    expect(relatives.made).toBe(0);

    // One per zone and per currency, however many rows ask.
    const utc = format.formatDateTime("2025-03-14T09:26:53Z", "UTC");
    expect(format.formatDateTime("2025-03-14T09:26:53Z", "UTC")).toBe(utc);
    expect(dates.made).toBe(2);
    format.formatDateTime("2025-03-14T09:26:53Z", "Asia/Tokyo");
    expect(dates.made).toBe(3);
    expect(format.formatDateTime("2025-03-14T09:26:53Z", "Not/AZone")).toBe(format.formatDateTime("2025-03-14T09:26:53Z"));
    const numbersBefore = numbers.made;
    expect(format.currencyFormat("USD").format(12.5)).toBe(format.currencyFormat("USD").format(12.5));
    expect(numbers.made).toBe(numbersBefore + 1);
    expect(() => format.currencyFormat("not a code")).toThrow();
    expect(() => format.currencyFormat("not a code")).toThrow();
  });
});
