// The game page: one WebSocket connection to the server at a time, the events
// it sends, the moves the user makes, and what the page shows of it all.
// This module finds the page's elements and wires the others together;
// connect4.js draws the board.

import { listenToAnalysis } from "./page/analysis-mode.js";
import { listenToComputerChoice } from "./page/computer-game.js";
import { createBoard } from "./connect4.js";
import { connectNow } from "./page/connection.js";
import { createState } from "./page/game-state.js";
import { listenToHints } from "./page/hints.js";
import { listenToUser } from "./page/input.js";
import { render } from "./page/render.js";

function findElements() {
  const find = (selector) => document.querySelector(selector);
  return {
    status: find(".status"),
    statusHeadline: find(".status-headline"),
    statusDetail: find(".status-detail"),
    announcer: find(".announcer"),
    board: find(".board"),
    boardMessage: find(".board-message"),
    boardMessageText: find(".board-message-text"),
    newGameButton: find(".board-message button.new-game"),
    match: find(".match"),
    score: find(".score"),
    rematch: find("button.rematch"),
    columnValues: find(".column-values"),
    analysis: find(".analysis"),
    stepButtons: Array.from(document.querySelectorAll(".analysis-steps button[data-step]")),
    analysisPosition: find(".analysis-position"),
    turningPoints: find(".turning-points"),
    closeAnalysis: find("button.close-analysis"),
    playFromHere: find("button.play-from-here"),
    hintsSwitch: find(".hints-switch"),
    hintsToggle: find("input.hints-toggle"),
    share: find(".share"),
    shareTitle: find(".share h2"),
    shareLink: find(".share-link"),
    shareNote: find(".share-note"),
    copyButton: find(".share button.copy"),
    sendButton: find(".share button.send"),
    actions: find(".actions"),
    newGameLink: find(".actions a.new"),
    computerToggle: find(".actions button.computer-toggle"),
    computerOptions: find(".computer-options"),
    computerStart: find(".computer-options a.computer-start"),
  };
}

function main() {
  const query = new URLSearchParams(location.search);
  const page = {
    elements: findElements(),
    state: createState(query),
    query,
    socket: null,
    retryTimer: null,
    failures: 0,
    countdown: null,
    hintTimer: null,
  };
  createBoard(page.elements.board);
  render(page);
  listenToUser(page);
  listenToComputerChoice(page.elements);
  listenToAnalysis(page);
  listenToHints(page);
  connectNow(page);
}

main();
