// Issue #15: under LANG=C the webview's default Intl locale is ICU's POSIX English,
// which groups no digits ("1500000"). The Usage & Spend and Workloads screens once
// formatted with that default themselves; now they go through $lib/format, which picks
// a locale that groups. The default locale is replaced before the modules load (format.ts
// decides its locale once, at import), so this fails when a screen formats on its own.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { topRow } from "./usage/fixtures";

const RealNumberFormat = Intl.NumberFormat;

/** Intl as LANG=C gives it: the default locale (no locale asked for) groups nothing. */
function posixIntl(): typeof Intl {
  function NumberFormat(locales?: string | string[], options?: Intl.NumberFormatOptions) {
    return locales === undefined
      ? new RealNumberFormat("en-US", { ...options, useGrouping: false })
      : new RealNumberFormat(locales, options);
  }
  NumberFormat.supportedLocalesOf = RealNumberFormat.supportedLocalesOf;
  const intl = Object.create(Intl) as typeof Intl;
  Object.defineProperty(intl, "NumberFormat", { value: NumberFormat });
  return intl;
}

beforeEach(() => {
  vi.stubGlobal("Intl", posixIntl());
  vi.resetModules();
});

afterEach(() => {
  vi.unstubAllGlobals();
  vi.resetModules();
});

describe("numbers under a default locale that groups no digits", () => {
  it("the stub really groups nothing by default", () => {
    expect(new Intl.NumberFormat().format(1_500_000)).toBe("1500000");
  });

  it("Usage & Spend's top table groups its counts", async () => {
    // Loaded after the reset too, so the component and the renderer share one Svelte.
    const { render, screen } = await import("@testing-library/svelte");
    const { default: TopTable } = await import("./usage/TopTable.svelte");
    render(TopTable, {
      props: {
        rows: [topRow({ totals: { requests: 1_234_567, errors: 0, input_tokens: 900_000, output_tokens: 30_000, estimated_requests: 0 } })],
        caption: "Top keys",
        testid: "top",
      },
    });
    expect(screen.getByTestId("top")).toHaveTextContent("1,234,567");
    expect(screen.getByTestId("top")).toHaveTextContent("900,000");
  });

  it("Workloads' gauges group their counts", async () => {
    const { formatCount } = await import("./workloads/health");
    expect(formatCount(1_234_567)).toBe("1,234,567");
  });
});
