// Events from the server, one handler per type: this module alone reads
// what the server says, and keeps it in the state.

import { absoluteLink } from "./address.js";
import { readAnalysis, readHints } from "./analysis.js";
import { openAnalysis } from "./analysis-mode.js";
import { settleAddress } from "./computer-game.js";
import { PLAYER1, PLAYER2, clearBoard, highlightWinningLine, playMove } from "../connect4.js";
import { PLAYERS, isBack, isOver, isPlayer, opponent, secondsHeld } from "./game-state.js";
import { announce, render, showHint } from "./render.js";
import { winningLine } from "./rules.js";
import { saveSeat } from "./seat.js";
import {
  asSentence,
  describeDeparture,
  describeMove,
  describeReset,
  describeResult,
  playerName,
} from "./status.js";

function isValidPlay(event) {
  return (
    PLAYERS.includes(event.player) &&
    Number.isInteger(event.column) &&
    Number.isInteger(event.row)
  );
}

function isValidScore(score) {
  return (
    score !== null &&
    typeof score === "object" &&
    [PLAYER1, PLAYER2, "draws"].every((key) => Number.isInteger(score[key]) && score[key] >= 0)
  );
}

export function keyOrNull(key) {
  return typeof key === "string" && key !== "" ? key : null;
}

// Whatever happens in the game, "is back", explanations and the scores of
// the moves were news only until then.
function gameMoved(state) {
  state.back = null;
  state.hint = null;
  state.hintScores = null;
}

// The first init of a connection seats us; another one comes when a rematch
// swaps colours, just before the reset that swaps everyone's.
function onInit(page, event) {
  const { state } = page;
  // Before yellow existed in the protocol, init meant "you are red".
  const player = PLAYERS.includes(event.player) ? event.player : state.joining ? PLAYER2 : PLAYER1;
  if (!isPlayer(state.me)) {
    state.seated.add(player);
    state.seen.add(player);
  }
  state.me = player;
  state.hint = null;
  if (keyOrNull(event.computer) !== null) {
    state.computer = event.computer;
    // The person started the game, whatever colour they chose.
    state.host = player;
  }
  // Seated: from now on the token, kept for the address it settles on, is
  // what brings this page back to its seat.
  settleAddress(page);
  if (keyOrNull(event.token) !== null) {
    saveSeat(event.token);
  }
  const join = keyOrNull(event.join);
  const watch = keyOrNull(event.watch);
  state.links = {
    join: join === null ? state.links.join : absoluteLink("join", join),
    watch: watch === null ? state.links.watch : absoluteLink("watch", watch),
  };
}

function onPlay(page, event) {
  const { elements, state } = page;
  if (!isValidPlay(event)) {
    console.warn("Ignoring a malformed play event:", event);
    return false;
  }
  try {
    playMove(elements.board, event.player, event.column, event.row);
  } catch (error) {
    console.warn("Ignoring an impossible move:", event, error);
    return false;
  }
  state.columns.push(event.column);
  state.rematchStarted = false;
  // Whoever moved was in the game, even if they left before we came.
  state.seen.add(event.player);
  gameMoved(state);
  announce(page, describeMove(state, event.player, event.column));
}

function onWin(page, event) {
  const { state } = page;
  state.winner = event.player;
  // The server counts too, and says so at the next reset.
  state.score[event.player] += 1;
  gameMoved(state);
  // The server says who won, not where: the moves say where.
  highlightWinningLine(page.elements.board, winningLine(state.columns, event.player));
  announce(page, asSentence(describeResult(state)), { after: true });
}

function onDraw(page) {
  const { state } = page;
  state.draw = true;
  state.score.draws += 1;
  gameMoved(state);
  announce(page, asSentence(describeResult(state)), { after: true });
}

function onJoined(page, event) {
  const { state } = page;
  // A replay starts with who is here: only someone we saw leave is back,
  // unless their seat was given up and this is someone new.
  const back = isBack(state, event.player) && secondsHeld(state, event.player, Date.now()) !== 0;
  state.back = back ? event.player : state.back;
  state.seated.add(event.player);
  state.seen.add(event.player);
  state.heldUntil.delete(event.player);
  if (keyOrNull(event.computer) !== null) {
    // A computer game: the computer is the guest, whoever started it.
    state.computer = event.computer;
    state.host = opponent(event.player);
  }
  // An explanation of the situation before they came is out of date.
  state.hint = null;
  announce(page, `${playerName(state, event.player)} ${back ? "is back" : "joined"}.`);
}

function onLeft(page, event) {
  const { state } = page;
  state.seated.delete(event.player);
  if (state.back === event.player) {
    state.back = null;
  }
  state.hint = null;
  const grace = Number.isFinite(event.grace) ? event.grace : 0;
  if (grace > 0) {
    state.heldUntil.set(event.player, Date.now() + grace * 1000);
  }
  announce(page, describeDeparture(event.player, grace));
}

function onRematch(page, event) {
  page.state.rematch.add(event.player);
  if (event.player !== page.state.me) {
    announce(page, `${playerName(page.state, event.player)} wants a rematch.`);
  }
}

// Live, a reset follows the end of a game, and the players swap colours.
// Replayed to a page that just connected, it comes first, with the players
// already under their new colours.
function onReset(page, event) {
  const { state } = page;
  if (isOver(state)) {
    state.seated = new Set(Array.from(state.seated, opponent));
    state.heldUntil = new Map(Array.from(state.heldUntil, ([player, until]) => [opponent(player), until]));
  }
  // Both players took part in a game before this one.
  state.seen = new Set(PLAYERS);
  Object.assign(state, { columns: [], winner: null, draw: false, rematchAsked: false, rematchStarted: true });
  // The analysis was of the game that just ended.
  Object.assign(state, { analysis: null, analysisStep: null, analysisAsked: false });
  state.rematch = new Set();
  if (PLAYERS.includes(event.host)) {
    state.host = event.host;
  }
  if (isValidScore(event.score)) {
    state.score = { ...event.score };
  }
  gameMoved(state);
  clearBoard(page.elements.board);
  announce(page, describeReset(state));
}

// Shown if the user still waits for it: a rematch may have started since.
function onAnalysis(page, event) {
  const { state } = page;
  const analysis = readAnalysis(event);
  if (analysis === null) {
    console.warn("Ignoring a malformed analysis:", event);
    return false;
  }
  state.analysis = analysis;
  if (state.analysisAsked && isOver(state)) {
    openAnalysis(page);
  }
}

// Sent to the person playing the computer, for the position on the board:
// a hint for a position gone is never sent.
function onHints(page, event) {
  const scores = readHints(event);
  if (scores === null) {
    console.warn("Ignoring malformed hints:", event);
    return false;
  }
  page.state.hintScores = scores;
}

// Before the server accepted our init, an error refuses it: the connection
// closes and the page says why. After, it refuses one request.
function onError(page, event) {
  const { state } = page;
  if (event.reason === "unavailable") {
    // The server lost its storage for a moment; it closes with 1013 next.
    state.unavailable = true;
    return false;
  }
  if (!state.inGame) {
    state.refusal = {
      message: keyOrNull(event.message) ?? "The server refused to open this game.",
      reason: event.reason,
    };
    return false;
  }
  // A refused request is no longer pending.
  if (event.reason === "analysis") {
    // The server's words are too long for the status line.
    page.state.analysisAsked = false;
    showHint(page, "The server is busy. Try again soon.");
    return;
  }
  page.state.rematchAsked = false;
  showHint(page, keyOrNull(event.message) ?? "The server refused that.");
}

const EVENT_HANDLERS = {
  init: onInit,
  play: onPlay,
  win: onWin,
  draw: onDraw,
  joined: onJoined,
  left: onLeft,
  rematch: onRematch,
  reset: onReset,
  analysis: onAnalysis,
  hints: onHints,
  error: onError,
};

// Events that are about one player, and mean nothing without a valid one.
const PLAYER_EVENTS = new Set(["win", "joined", "left", "rematch"]);

// The server accepted our init: any event but an error says so. It replays
// the game from the start, over the last position shown until then.
function enterGame(page) {
  const { state } = page;
  if (!state.inGame) {
    clearBoard(page.elements.board);
  }
  state.inGame = true;
  state.everInGame = true;
}

export function handleEvent(page, event) {
  if (event.type !== "error") {
    enterGame(page);
  }
  const handler = Object.hasOwn(EVENT_HANDLERS, event.type) ? EVENT_HANDLERS[event.type] : null;
  if (handler === null) {
    console.warn("Ignoring an event of unknown type:", event);
    return;
  }
  if (PLAYER_EVENTS.has(event.type) && !PLAYERS.includes(event.player)) {
    console.warn(`Ignoring a ${event.type} event without a player:`, event);
    return;
  }
  // A handler returns false when it changed nothing to show: it ignored a
  // malformed event, or the connection is about to close.
  if (handler(page, event) !== false) {
    render(page);
  }
}

export function parseEvent(data) {
  try {
    const event = JSON.parse(data);
    if (event !== null && typeof event === "object" && !Array.isArray(event)) {
      return event;
    }
  } catch {
    // Reported below, like any other message we can't use.
  }
  console.warn("Ignoring a message that isn't a JSON object:", data);
  return null;
}
