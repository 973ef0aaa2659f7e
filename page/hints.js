// Hints, in a game against the computer: the person may ask to see, under
// each column, what playing there leads to, in the analysis's words. The
// server sends the scores of the position's moves whenever it is their turn
// (a hints event, to them alone); they show until the next move.

import { send } from "./connection.js";
import { canHaveHints } from "./game-state.js";
import { announce, render } from "./render.js";

// The person's choice survives a reload of the tab, as the seat does.
const HINTS_KEY = "connect4.hints";

function loadChoice() {
  try {
    return sessionStorage.getItem(HINTS_KEY) === "on";
  } catch {
    return false; // storage disabled: hints start off
  }
}

function saveChoice(on) {
  try {
    sessionStorage.setItem(HINTS_KEY, on ? "on" : "off");
  } catch {
    // Without storage, a reload turns hints off.
  }
}

// Tell the server what the person chose; each connection asks anew (connection.js).
export function askForHints(page) {
  if (canHaveHints(page.state)) {
    send(page, { type: "hints", on: page.state.hintsOn });
  }
}

function onToggle(page) {
  const { state, elements } = page;
  state.hintsOn = elements.hintsToggle.checked;
  state.hintScores = null;
  saveChoice(state.hintsOn);
  askForHints(page);
  announce(page, state.hintsOn ? "Hints on: they show under the board on your turn." : "Hints off.");
  render(page);
}

export function listenToHints(page) {
  const toggle = page.elements.hintsToggle;
  page.state.hintsOn = toggle.checked = loadChoice();
  toggle.addEventListener("change", () => onToggle(page));
}
