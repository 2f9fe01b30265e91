// The save status next to the file name: unsaved changes · saving… · saved (revision N) · not saved: reason.
import { h } from "../../dom";
import type { SaveState } from "../../editor/saver";

export function statusView(): { el: HTMLElement; show: (s: SaveState) => void } {
  const el = h("span", { class: "save-status", "data-testid": "status", role: "status", "aria-live": "polite" });
  const show = (s: SaveState): void => {
    el.dataset.state = s.kind;
    el.textContent = text(s);
  };
  return { el, show };
}

function text(s: SaveState): string {
  switch (s.kind) {
    case "dirty": return "● Unsaved changes";
    case "saving": return "Saving…";
    case "saved": return s.revision ? `Saved (revision ${s.revision})` : "Nothing labeled yet";
    case "offline": return `Not saved: the server cannot be reached; retrying in ${Math.round(s.retryInMs / 1000)} s (your edits are kept in this browser)`;
    case "failed": return s.message;
  }
}
