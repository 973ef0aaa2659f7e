// Drawing the page from the state: every element but the board's checkers,
// which the events place, is redrawn from the state by render().

import { localOnlyHost } from "./address.js";
import { renderAnalysis } from "./analysis-view.js";
import { PLAYER1, PLAYER2 } from "../connect4.js";
import {
  canHaveHints,
  departedPlayers,
  guestColour,
  hasAskedForRematch,
  isAnalysing,
  isConnected,
  isDisconnected,
  isGuestSeatFree,
  isLost,
  isMyTurn,
  isOver,
  isPlayer,
  opponent,
  playerToMove,
  rematchRequests,
  secondsHeld,
} from "./game-state.js";
import {
  describeForTitle,
  describeLocalOnly,
  describeLoss,
  describeSharing,
  describeStatus,
} from "./status.js";

// An explanation of why a click did nothing lasts this long, or until the
// game moves on, then the status box says what it said before.
const HINT_MS = 5000;

// Headlines longer than this many characters are set smaller.
const LONG_HEADLINE = 22;

// Screen readers hear moves and results here, not the status box, which is
// redrawn at every event. A result is heard after the move that made it.
export function announce(page, text, { after = false } = {}) {
  const announcer = page.elements.announcer;
  announcer.textContent = after ? `${announcer.textContent} ${text}`.trim() : text;
}

function renderStatus(page) {
  const { elements, state } = page;
  const status = describeStatus(state, Date.now());
  elements.statusHeadline.textContent = status.headline;
  // "Computer (perfect) is thinking…" is the longest headline: in smaller
  // type, on the same line height, it fits a phone and the box keeps its size.
  elements.statusHeadline.classList.toggle("long", status.headline.length > LONG_HEADLINE);
  elements.statusHeadline.dataset.colour = status.colour ?? "";
  const text = document.createElement("span");
  text.className = "status-detail-text";
  text.textContent = status.detail;
  const parts = status.detail === "" ? [] : [text];
  if (status.action !== undefined) {
    parts.push(actionButton(status));
  }
  elements.statusDetail.replaceChildren(...parts);
  elements.statusDetail.classList.toggle("hint", status.hint === true);
  elements.status.dataset.state = state.connection;
  elements.status.classList.toggle("my-turn", isMyTurn(state));
  elements.status.classList.toggle("result", isOver(state) && !isLost(state));
  elements.status.dataset.player = isPlayer(state.me) ? state.me : "";
}

function actionButton({ action, label, busy = false }) {
  const button = document.createElement("button");
  button.type = "button";
  button.className = "status-action";
  button.dataset.action = action;
  button.textContent = label;
  button.disabled = busy;
  return button;
}

function scoreSide(player, name) {
  const element = document.createElement("span");
  element.className = `score-side ${player}`;
  element.textContent = name;
  return element;
}

// The score across games, by player, the same for everyone: the server keeps
// it by colour, and colours swap at each rematch. Players see themselves
// against their opponent, spectators the host against the guest.
function renderScore(scoreElement, state) {
  const { score } = state;
  const games = score[PLAYER1] + score[PLAYER2] + score.draws;
  scoreElement.hidden = games === 0;
  if (games === 0) {
    return;
  }
  const [first, second] = isPlayer(state.me)
    ? [scoreSide(state.me, "You"), scoreSide(opponent(state.me), state.computer === null ? "Opponent" : "Computer")]
    : [scoreSide(state.host, "Host"), scoreSide(guestColour(state), state.computer === null ? "Guest" : "Computer")];
  const firstColour = isPlayer(state.me) ? state.me : state.host;
  const points = document.createElement("strong");
  points.className = "score-points";
  points.textContent = `${score[firstColour]} – ${score[opponent(firstColour)]}`;
  const label = document.createElement("span");
  label.className = "score-label";
  label.textContent = "Score";
  const parts = [label, " ", first, " ", points, " ", second];
  if (score.draws > 0) {
    const draws = document.createElement("span");
    draws.className = "score-draws";
    draws.textContent = score.draws === 1 ? "1 draw" : `${score.draws} draws`;
    parts.push(" · ", draws);
  }
  scoreElement.replaceChildren(...parts);
}

function renderRematch(button, state) {
  // Spectators follow rematches but have no say in them.
  button.hidden = !isPlayer(state.me) || !isOver(state) || state.connection === "stopped";
  if (button.hidden) {
    return;
  }
  const asked = hasAskedForRematch(state);
  const invited = rematchRequests(state).length > 0;
  button.disabled = asked || !isConnected(state);
  button.classList.toggle("invited", invited && !asked);
  button.textContent = asked ? "Waiting for opponent…" : invited ? "Accept rematch" : "Rematch";
}

// The board's frame shows whose turn it is, in their colour, to everyone.
function renderBoard(page) {
  const { elements, state } = page;
  const board = elements.board;
  const live =
    isConnected(state) && state.me !== null && !isOver(state) && departedPlayers(state).length === 0;
  board.dataset.turn = live ? playerToMove(state) : "";
  board.dataset.player = isPlayer(state.me) ? state.me : "";
  board.classList.toggle("my-turn", isMyTurn(state));
  board.classList.toggle("offline", isDisconnected(state));
  board.classList.toggle("analysing", isAnalysing(state));
  // A lost game shows its last position under one clear next step.
  board.inert = isLost(state);
  elements.boardMessage.hidden = !isLost(state);
  elements.boardMessageText.textContent = isLost(state) ? describeLoss(state) : "";
}

// Players share the invitation until the friend comes, then the watch link.
// The links are text to copy, never links to follow: following one would take
// the player out of their own seat.
function renderShare(page) {
  const { elements, state } = page;
  // Nobody takes the computer's seat: its game has only a watch link.
  const inviting = state.computer === null && state.me === state.host && isGuestSeatFree(state, Date.now());
  const link = inviting ? state.links.join : state.links.watch;
  elements.share.hidden = !isPlayer(state.me) || !isConnected(state) || link === null;
  if (elements.share.hidden) {
    return;
  }
  elements.share.dataset.kind = inviting ? "invite" : "watch";
  elements.shareTitle.textContent = describeSharing(state, inviting);
  if (elements.shareLink.textContent !== link) {
    elements.shareLink.textContent = link;
  }
  elements.shareLink.title = link;
  elements.sendButton.hidden = typeof navigator.share !== "function";
  const host = localOnlyHost();
  elements.shareNote.hidden = host === null;
  elements.shareNote.textContent = host === null ? "" : describeLocalOnly(host);
}

export function render(page) {
  const { elements, state } = page;
  renderStatus(page);
  renderBoard(page);
  renderScore(elements.score, state);
  renderRematch(elements.rematch, state);
  // The person playing the computer may turn hints on, spectators never.
  elements.hintsSwitch.hidden = !canHaveHints(state) || state.connection === "stopped";
  // In analysis mode, the page is about the analysis: the rest comes back
  // with the live game.
  const analysing = isAnalysing(state);
  const idle = elements.score.hidden && elements.rematch.hidden && elements.hintsSwitch.hidden;
  elements.match.hidden = idle || isLost(state) || analysing;
  renderShare(page);
  elements.share.hidden ||= analysing;
  // A lost game's only next step is the button over the board.
  elements.actions.hidden = isLost(state) || analysing;
  renderAnalysis(page);
  const title = describeForTitle(state);
  document.title = title === "" ? "Connect Four" : `${title} · Connect Four`;
  keepCountingDown(page);
}

// While a seat is held for an absent player, the status counts the seconds.
function keepCountingDown(page) {
  const now = Date.now();
  const counting = departedPlayers(page.state).some((player) => secondsHeld(page.state, player, now) > 0);
  if (counting && page.countdown === null) {
    page.countdown = setInterval(() => render(page), 1000);
  } else if (!counting && page.countdown !== null) {
    clearInterval(page.countdown);
    page.countdown = null;
  }
}

export function showHint(page, text) {
  page.state.hint = text;
  announce(page, text);
  clearTimeout(page.hintTimer);
  page.hintTimer = setTimeout(() => {
    page.state.hint = null;
    render(page);
  }, HINT_MS);
  render(page);
}
