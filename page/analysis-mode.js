// Analysis mode: opening the analysis of a finished game once it came,
// stepping through its moves, and going back to the live game.

import { turningPoints } from "./analysis.js";
import { showGame } from "./analysis-view.js";
import { isAnalysing } from "./game-state.js";
import { hasModifier, isTypingInto } from "./keys.js";
import { announce, render } from "./render.js";
import { asSentence, describeStatus, describeTurningPoint } from "./status.js";

function announceStep(page) {
  const status = describeStatus(page.state, Date.now());
  announce(page, `${asSentence(status.headline)} ${status.detail}`);
}

function turningPointItem(page, point) {
  const item = document.createElement("li");
  const button = document.createElement("button");
  button.type = "button";
  button.dataset.step = String(point.step);
  button.textContent = describeTurningPoint(page.state, point);
  item.append(button);
  return item;
}

// Built once per opening: redrawing the buttons would lose the focus.
function listTurningPoints(page) {
  const points = turningPoints(page.state.analysis);
  const items = points.map((point) => turningPointItem(page, point));
  if (items.length === 0) {
    const item = document.createElement("li");
    item.textContent = "No move changed the result.";
    items.push(item);
  }
  page.elements.turningPoints.replaceChildren(...items);
}

// From the start of the game: the first move is where the story begins.
export function openAnalysis(page) {
  const { state, elements } = page;
  Object.assign(state, { analysisAsked: false, analysisStep: 0, hint: null, playingFromHere: false });
  listTurningPoints(page);
  render(page);
  announceStep(page);
  elements.stepButtons.find((button) => button.dataset.step === "next").focus();
}

function showStep(page, step) {
  const { state } = page;
  const target = Math.min(Math.max(step, 0), state.analysis.columns.length);
  if (target !== state.analysisStep) {
    state.analysisStep = target;
    render(page);
    announceStep(page);
  }
}

function closeAnalysis(page) {
  const { state, elements } = page;
  state.analysisStep = null;
  showGame(elements.board, state.columns, state.winner);
  render(page);
  announce(page, "Back to the game.");
  elements.status.querySelector('button[data-action="analyse"]')?.focus();
}

function stepTarget(state, name) {
  const step = state.analysisStep;
  return { first: 0, previous: step - 1, next: step + 1, last: state.analysis.columns.length }[name];
}

// Anywhere on the page, arrows step through the game, Home and End go to
// its ends, Escape leaves.
function onAnalysisKey(page, event) {
  const { state } = page;
  if (!isAnalysing(state) || hasModifier(event) || isTypingInto(event.target)) {
    return;
  }
  const names = { ArrowLeft: "previous", ArrowRight: "next", Home: "first", End: "last" };
  if (event.key in names) {
    event.preventDefault();
    showStep(page, stepTarget(state, names[event.key]));
  } else if (event.key === "Escape") {
    closeAnalysis(page);
  }
}

export function listenToAnalysis(page) {
  const { elements } = page;
  for (const button of elements.stepButtons) {
    button.addEventListener("click", () => showStep(page, stepTarget(page.state, button.dataset.step)));
  }
  elements.turningPoints.addEventListener("click", (event) => {
    const button = event.target instanceof Element ? event.target.closest("button[data-step]") : null;
    if (button !== null) {
      showStep(page, Number(button.dataset.step));
    }
  });
  elements.closeAnalysis.addEventListener("click", () => closeAnalysis(page));
  // The computer's options open under the button, for the position shown.
  elements.playFromHere.addEventListener("click", () => {
    page.state.playingFromHere = !page.state.playingFromHere;
    render(page);
    if (page.state.playingFromHere) {
      // On a phone, they open below the fold.
      elements.computerOptions.scrollIntoView({ block: "nearest" });
    }
  });
  document.addEventListener("keydown", (event) => onAnalysisKey(page, event));
}
