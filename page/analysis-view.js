// Drawing analysis mode: the position at the step shown, the value of each
// move from it under the board, where the step is, and the moves that
// changed the result; and, in a live game against the computer, the same
// values under the board as hints.

import { bestColumns, describeValue, moveValue, resultThrownAway } from "./analysis.js";
import { offerFromPosition } from "./computer-game.js";
import { highlightWinningLine, markBestColumns, markNextMove, showPosition } from "../connect4.js";
import { canHaveHints, isAnalysing, isOver, shownHints } from "./game-state.js";
import { placeMoves, winningLine } from "./rules.js";
import { describeAnalysisPosition } from "./status.js";

function hiddenText(text) {
  const span = document.createElement("span");
  span.className = "visually-hidden";
  span.textContent = text;
  return span;
}

// "win" over "in 3", short enough for a phone's narrow columns; screen
// readers hear the column and the marks too.
function valueItem(column, value, marks) {
  const item = document.createElement("li");
  item.classList.toggle("best", marks.best);
  item.classList.toggle("played", marks.played);
  item.classList.toggle("thrown", marks.thrown);
  const words = document.createElement("span");
  words.className = "value";
  const result = document.createElement("span");
  result.className = "value-result";
  result.textContent = value.result;
  words.append(result);
  if (value.count !== null) {
    const count = document.createElement("span");
    count.className = "value-count";
    count.textContent = `in ${value.count}`;
    words.append(" ", count);
  }
  const notes = [marks.best ? "best" : "", marks.played ? "played" : ""].filter(Boolean);
  item.append(hiddenText(`Column ${column + 1}: `), words);
  if (notes.length > 0) {
    item.append(hiddenText(`, ${notes.join(", ")}`));
  }
  item.title = describeValue(value);
  return item;
}

// The values of the moves from a position with `checkers` on the board;
// played is the column of the move played from it, if any, and thrown
// whether that move threw away a win or a draw.
function renderColumnValues(list, scores, checkers, played = null, thrown = false) {
  const best = bestColumns(scores);
  list.replaceChildren(
    ...scores.map((score, column) =>
      valueItem(column, moveValue(score, checkers), {
        best: best.includes(column),
        played: column === played,
        thrown: thrown && column === played,
      }),
    ),
  );
}

// Until the scores come, each column's place is kept, so nothing jumps.
const WAITING = Array(7).fill({ result: "…", count: null });

// Hints: the values of the person's moves on their turn; the list stays,
// waiting, while the computer moves, so that the page doesn't jump.
function renderHints(elements, state) {
  const on = state.hintsOn && canHaveHints(state) && !isOver(state);
  elements.columnValues.hidden = !on;
  elements.columnValues.classList.toggle("hints", on);
  if (!on) {
    return;
  }
  const scores = shownHints(state);
  if (scores === null) {
    elements.columnValues.replaceChildren(
      ...WAITING.map((value, column) => valueItem(column, value, { best: false, played: false, thrown: false })),
    );
  } else {
    renderColumnValues(elements.columnValues, scores, state.columns.length);
  }
}

// "Play from here" offers the computer's options for the position shown,
// unless it is the end of the game, where nobody can play.
function renderPlayFromHere(elements, state) {
  const { analysis, analysisStep: step } = state;
  const possible = step < analysis.columns.length;
  const open = state.playingFromHere && possible;
  elements.playFromHere.disabled = !possible;
  elements.playFromHere.setAttribute("aria-expanded", String(open));
  offerFromPosition(elements, open ? analysis.columns.slice(0, step) : null);
}

// The arrows stay focusable at either end, so that a keyboard user who
// reached the end isn't thrown out of the row: they say they can't go on.
function renderStepButtons(elements, state) {
  const { analysis, analysisStep: step } = state;
  const last = analysis.columns.length;
  for (const button of elements.stepButtons) {
    const blocked = ["first", "previous"].includes(button.dataset.step) ? step === 0 : step === last;
    button.setAttribute("aria-disabled", String(blocked));
  }
  const position = describeAnalysisPosition(state);
  elements.analysisPosition.textContent = position.short;
  elements.analysisPosition.setAttribute("aria-label", position.long);
}

function renderTurningPoints(list, step) {
  for (const button of list.querySelectorAll("button[data-step]")) {
    if (Number(button.dataset.step) === step) {
      button.setAttribute("aria-current", "step");
    } else {
      button.removeAttribute("aria-current");
    }
  }
}

// The position after these columns were played, and the winner's four, if any.
export function showGame(board, columns, winner) {
  showPosition(board, placeMoves(columns));
  if (winner !== null) {
    highlightWinningLine(board, winningLine(columns, winner));
  }
}

export function renderAnalysis(page) {
  const { elements, state } = page;
  const analysing = isAnalysing(state);
  elements.analysis.hidden = !analysing;
  elements.columnValues.classList.remove("hints");
  if (!analysing) {
    offerFromPosition(elements, null);
    renderHints(elements, state);
    return;
  }
  elements.columnValues.hidden = false;
  const { analysis, analysisStep: step } = state;
  const moves = placeMoves(analysis.columns);
  showGame(elements.board, analysis.columns.slice(0, step), step === moves.length ? state.winner : null);
  markBestColumns(elements.board, bestColumns(analysis.scores[step]));
  markNextMove(elements.board, moves[step] ?? null);
  const played = analysis.columns[step] ?? null;
  const thrown = played !== null && resultThrownAway(analysis, step) !== null;
  renderColumnValues(elements.columnValues, analysis.scores[step], step, played, thrown);
  renderStepButtons(elements, state);
  renderTurningPoints(elements.turningPoints, step);
  renderPlayFromHere(elements, state);
}
