// What the user does: clicks, keys and buttons.

import { openAnalysis } from "./analysis-mode.js";
import { COLUMNS, focusColumn, setTabStop } from "../connect4.js";
import { connectNow, send } from "./connection.js";
import { hasAskedForRematch, isAnalysing, isOver, isPlayer } from "./game-state.js";
import { hasModifier, isTypingInto } from "./keys.js";
import { announce, render, showHint } from "./render.js";
import { forgetSeat, startNewGame } from "./seat.js";
import { copyLink, shareLink } from "./share.js";
import { explainRefusedMove } from "./status.js";

// A move that can't be played explains itself at once; any other goes to
// the server, which judges it and explains a refusal.
function playColumn(page, column) {
  const { state } = page;
  const hint = explainRefusedMove(state, column);
  if (hint !== null) {
    showHint(page, hint);
  } else if (isPlayer(state.me)) {
    send(page, { type: "play", column });
  }
}

// The server analyses a game once; asking again only shows it again.
function requestAnalysis(page) {
  const { state } = page;
  if (!isOver(state) || state.analysisAsked) {
    return;
  }
  if (state.analysis !== null) {
    openAnalysis(page);
  } else if (send(page, { type: "analyse" })) {
    state.analysisAsked = true;
    announce(page, "Analysing…");
    render(page);
  }
}

function requestRematch(page) {
  const { state } = page;
  if (!isPlayer(state.me) || !isOver(state) || hasAskedForRematch(state)) {
    return;
  }
  if (send(page, { type: "rematch" })) {
    state.rematchAsked = true;
    render(page);
  }
}

function columnOf(target) {
  const columnElement = target instanceof Element ? target.closest(".column") : null;
  return columnElement === null ? null : Number(columnElement.dataset.column);
}

// Inside the board, arrows, Home and End choose a column; Enter or Space
// plays. In analysis mode, the arrows step through the game instead.
function onBoardKey(page, event) {
  const column = columnOf(event.target);
  if (column === null || hasModifier(event) || isAnalysing(page.state)) {
    return;
  }
  const moves = { ArrowLeft: column - 1, ArrowRight: column + 1, Home: 0, End: COLUMNS - 1 };
  if (event.key in moves) {
    event.preventDefault();
    focusColumn(page.elements.board, moves[event.key]);
  } else if (event.key === "Enter" || event.key === " ") {
    // Space would scroll the page, and a held key would fire many moves.
    event.preventDefault();
    if (!event.repeat) {
      playColumn(page, column);
    }
  }
}

// Anywhere on the page, digits 1 to 7 play a column.
function onDigitKey(page, event) {
  if (hasModifier(event) || event.repeat || isTypingInto(event.target) || !/^[1-7]$/.test(event.key)) {
    return;
  }
  event.preventDefault();
  playColumn(page, Number(event.key) - 1);
}

function listenToBoard(page) {
  const board = page.elements.board;
  board.addEventListener("click", (event) => {
    const column = columnOf(event.target);
    if (column !== null) {
      playColumn(page, column);
    }
  });
  board.addEventListener("keydown", (event) => onBoardKey(page, event));
  // Tab comes back to the column last used, clicked or chosen with arrows.
  board.addEventListener("focusin", (event) => {
    const column = columnOf(event.target);
    if (column !== null) {
      setTabStop(board, column);
    }
  });
  document.addEventListener("keydown", (event) => onDigitKey(page, event));
}

export function listenToUser(page) {
  const { elements } = page;
  listenToBoard(page);
  elements.copyButton.addEventListener("click", () => copyLink(elements.shareLink, elements.copyButton));
  elements.sendButton.addEventListener("click", () => shareLink(page));
  elements.rematch.addEventListener("click", () => requestRematch(page));
  // The status box's button is redrawn with it, so listen above it.
  elements.status.addEventListener("click", (event) => {
    const button = event.target instanceof Element ? event.target.closest("button[data-action]") : null;
    if (button?.dataset.action === "analyse") {
      requestAnalysis(page);
    } else if (button !== null) {
      connectNow(page);
    }
  });
  elements.newGameButton.addEventListener("click", startNewGame);
  // A new game must not resume the seat of this one.
  elements.newGameLink.addEventListener("click", forgetSeat);
  // Back online: no need to wait for the next attempt.
  window.addEventListener("online", () => {
    if (page.state.connection === "waiting") {
      connectNow(page);
    }
  });
}
