// The shared field block: the label names the control, and the control is described by
// the problem when there is one, else by the hint (plus any extra notes), and marked
// invalid only while there is a problem.
import { render, screen } from "@testing-library/svelte";
import { createRawSnippet } from "svelte";
import { describe, expect, it } from "vitest";
import Field, { type FieldControl } from "./Field.svelte";

const input = createRawSnippet((control: () => FieldControl) => ({
  render: () => {
    const { id, describedby, invalid } = control();
    return `<input id="${id}"${describedby ? ` aria-describedby="${describedby}"` : ""}${invalid ? ` aria-invalid="${invalid}"` : ""} />`;
  },
}));

describe("Field", () => {
  it("labels the control and describes it by its hint", () => {
    render(Field, { id: "f-rpm", label: "Requests per minute", hint: "Empty: unlimited.", children: input });
    const control = screen.getByRole("textbox", { name: "Requests per minute" });
    expect(control).toHaveAccessibleDescription("Empty: unlimited.");
    expect(control).not.toHaveAttribute("aria-invalid");
  });

  it("puts the problem in the hint's place and marks the control invalid", () => {
    render(Field, {
      id: "f-rpm",
      label: "Requests per minute",
      hint: "Empty: unlimited.",
      error: "Enter a whole number.",
      errorTestid: "field-error-rpm",
      also: ["f-note", undefined, false],
      children: input,
    });
    const control = screen.getByRole("textbox", { name: "Requests per minute" });
    expect(control).toHaveAttribute("aria-invalid", "true");
    expect(control).toHaveAttribute("aria-describedby", "f-rpm-error f-note");
    expect(screen.getByTestId("field-error-rpm")).toHaveTextContent("Enter a whole number.");
    expect(screen.queryByText("Empty: unlimited.")).not.toBeInTheDocument();
  });

  it("keeps the hint with the problem when asked, both describing the control", () => {
    render(Field, {
      id: "f-s",
      label: "Clear the clipboard after",
      hint: "5 to 300 seconds.",
      keepHint: true,
      error: "Enter a whole number of seconds.",
      children: input,
    });
    const control = screen.getByRole("textbox", { name: "Clear the clipboard after" });
    expect(control).toHaveAttribute("aria-describedby", "f-s-hint f-s-error");
    expect(control).toHaveAccessibleDescription("5 to 300 seconds. Enter a whole number of seconds.");
    expect(control).toHaveAttribute("aria-invalid", "true");
  });

  it("says when a field is optional", () => {
    render(Field, { id: "f-d", label: "Description", optional: true, children: input });
    expect(screen.getByText("(optional)")).toBeInTheDocument();
    expect(screen.getByRole("textbox")).not.toHaveAttribute("aria-describedby");
  });

  it("takes a label with markup as a snippet", () => {
    const label = createRawSnippet(() => ({ render: () => `<span>Type <strong>ci</strong> to confirm</span>` }));
    render(Field, { id: "f-c", label, children: input });
    expect(screen.getByRole("textbox", { name: "Type ci to confirm" })).toBeInTheDocument();
  });

  describe("group", () => {
    // A set of radios named by the legend; the radios are passed the describedby too, as
    // the key form's expiry inputs are.
    const radios = createRawSnippet((control: () => FieldControl) => ({
      render: () => {
        const { describedby, invalid } = control();
        const described = describedby ? ` aria-describedby="${describedby}"` : "";
        const marked = invalid ? ` aria-invalid="${invalid}"` : "";
        return `<div><label><input type="radio" name="e" value="never"${described} /> Never</label><label for="g-days">Days</label><input id="g-days"${described}${marked} /></div>`;
      },
    }));

    it("names the fieldset by its legend and describes it by the hint", () => {
      const { container } = render(Field, { id: "g-exp", label: "Expires", group: true, hint: "Empty: never.", children: radios });
      const group = screen.getByRole("group", { name: "Expires" });
      expect(group.tagName).toBe("FIELDSET");
      expect(container.querySelector("legend")).toHaveTextContent("Expires");
      expect(container.querySelector("label[for='g-exp']")).toBeNull();
      expect(group).toHaveAccessibleDescription("Empty: never.");
      expect(screen.getByRole("radio", { name: "Never" })).toBeInTheDocument();
      expect(screen.getByRole("textbox", { name: "Days" })).not.toHaveAttribute("aria-invalid");
    });

    it("announces the problem on the fieldset and its controls, marking them invalid", () => {
      render(Field, {
        id: "g-exp",
        label: "Expires",
        group: true,
        hint: "Empty: never.",
        error: "Pick a date after today.",
        errorTestid: "field-error-expires_at",
        children: radios,
      });
      const group = screen.getByRole("group", { name: "Expires" });
      expect(group).toHaveAttribute("aria-describedby", "g-exp-error");
      expect(group).toHaveAccessibleDescription("Pick a date after today.");
      const days = screen.getByRole("textbox", { name: "Days" });
      expect(days).toHaveAccessibleDescription("Pick a date after today.");
      expect(days).toHaveAttribute("aria-invalid", "true");
      expect(screen.getByTestId("field-error-expires_at")).toHaveTextContent("Pick a date after today.");
      expect(screen.queryByText("Empty: never.")).not.toBeInTheDocument();
    });

    it("says in the legend when the group is optional", () => {
      render(Field, { id: "g-l", label: "Labels", group: true, optional: true, children: radios });
      expect(screen.getByRole("group", { name: "Labels (optional)" })).not.toHaveAttribute("aria-describedby");
    });

    it("hands the fieldset to the dialog, for focusing a control inside", () => {
      const props: { element?: HTMLElement } = {};
      render(Field, {
        id: "g-exp",
        label: "Expires",
        group: true,
        children: radios,
        get element() {
          return props.element;
        },
        set element(value) {
          props.element = value;
        },
      });
      expect(props.element).toBe(screen.getByRole("group", { name: "Expires" }));
    });
  });

  it("inline: the label sits beside the control, the problem below, announced", () => {
    const { container } = render(Field, {
      id: "f-min",
      label: "Minutes",
      inline: true,
      error: "Enter whole minutes from 1 to 10,080 (7 days).",
      errorTestid: "field-error-grace",
      children: input,
    });
    const control = screen.getByRole("textbox", { name: "Minutes" });
    expect(control.parentElement).toBe(container.querySelector("label")?.parentElement);
    expect(control).toHaveAccessibleDescription("Enter whole minutes from 1 to 10,080 (7 days).");
    expect(control).toHaveAttribute("aria-invalid", "true");
    expect(screen.getByTestId("field-error-grace").parentElement).not.toBe(control.parentElement);
  });
});
