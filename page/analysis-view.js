// Drawing analysis mode: the position at the step shown, the value of each
// move from it under the board, where the step is, and the moves that
// changed the result.

import { bestColumns, describeValue, moveValue, resultThrownAway } from "./analysis.js";
import { highlightWinningLine, markBestColumns, markNextMove, showPosition } from "../connect4.js";
import { isAnalysing } from "./game-state.js";
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

function renderColumnValues(list, analysis, step) {
  const scores = analysis.scores[step];
  const best = bestColumns(scores);
  const played = analysis.columns[step] ?? null;
  const thrown = played !== null && resultThrownAway(analysis, step) !== null;
  list.replaceChildren(
    ...scores.map((score, column) =>
      valueItem(column, moveValue(score, step), {
        best: best.includes(column),
        played: column === played,
        thrown: thrown && column === played,
      }),
    ),
  );
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
  elements.columnValues.hidden = !analysing;
  if (!analysing) {
    return;
  }
  const { analysis, analysisStep: step } = state;
  const moves = placeMoves(analysis.columns);
  showGame(elements.board, analysis.columns.slice(0, step), step === moves.length ? state.winner : null);
  markBestColumns(elements.board, bestColumns(analysis.scores[step]));
  markNextMove(elements.board, moves[step] ?? null);
  renderColumnValues(elements.columnValues, analysis, step);
  renderStepButtons(elements, state);
  renderTurningPoints(elements.turningPoints, step);
}
