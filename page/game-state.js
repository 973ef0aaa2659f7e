// What the page knows about the game, and the questions asked about it.
// Each connection starts again from createGame(), and the server replays
// the game into it.

import { PLAYER1, PLAYER2 } from "../connect4.js";
import { playerOfMove } from "./rules.js";

export const PLAYERS = [PLAYER1, PLAYER2];
export const SPECTATOR = "spectator";

// What one connection learns; each new connection starts again from here,
// and the server replays the game.
export function createGame(query) {
  return {
    // PLAYER1, PLAYER2, SPECTATOR, or null until the server tells us.
    me: query.has("watch") && !query.has("join") ? SPECTATOR : null,
    joining: query.has("join"),
    // The init presented a seat token: the page is coming back to a game.
    resuming: false,
    // Until the server's first message, we know nothing of the game.
    heardFromServer: false,
    // The server accepted our init: any event but an error says so.
    inGame: false,
    // The server refused our init: { message, reason }; the connection closes.
    refusal: null,
    // The server lost its storage for a moment: it closes the connection,
    // asking us to come back.
    unavailable: false,
    // The columns played in this game, in order, red first.
    columns: [],
    // The computer opponent's level, when this page plays the computer.
    computer: null,
    // In a game against the computer, with hints on: the scores of the
    // position's moves, from the server, until the next move.
    hintScores: null,
    // The server's analysis of the finished game, { columns, scores }, once
    // it came; the step it shows, the number of moves on the board, while
    // the page is in analysis mode, else null.
    analysis: null,
    analysisStep: null,
    // An analysis was asked for and hasn't come yet.
    analysisAsked: false,
    // In analysis mode, "Play from here" shows the computer's options.
    playingFromHere: false,
    winner: null,
    draw: false,
    // A rematch started and nobody has moved yet.
    rematchStarted: false,
    // The colour of the player who started the game at the original link:
    // red until a rematch swaps colours, then what the server's reset says.
    host: PLAYER1,
    // Who is connected now, from init, joined and left events.
    seated: new Set(),
    // Who was in the game at some point, so that their absence means they
    // left rather than that they haven't arrived yet.
    seen: new Set(),
    // When each absent player's seat stops being held for them (Date.now() ms).
    heldUntil: new Map(),
    // A player who left and came back, until the next move.
    back: null,
    // Players asking for a rematch, and whether we asked and wait to hear it.
    rematch: new Set(),
    rematchAsked: false,
    // Games won by whoever plays each colour now, and draws.
    score: { [PLAYER1]: 0, [PLAYER2]: 0, draws: 0 },
    // Why the user's last action did nothing, until the game moves on.
    hint: null,
    // The links to hand out, as full addresses, once the server sends keys.
    links: { join: null, watch: null },
  };
}

export function createState(query) {
  return {
    // "connecting", "open", "waiting" (to reconnect) or "stopped".
    connection: "connecting",
    // Why the page isn't connected: see describeProblem.
    problem: null,
    detail: "",
    // Some connection got into the game, so a refusal now means it's gone.
    everInGame: false,
    // The person playing the computer wants hints: each connection asks.
    hintsOn: false,
    ...createGame(query),
  };
}

export function isPlayer(me) {
  return PLAYERS.includes(me);
}

export function opponent(player) {
  return player === PLAYER1 ? PLAYER2 : PLAYER1;
}

// The colour the second player, who came with the join link, plays now.
export function guestColour(state) {
  return opponent(state.host);
}

// The host created the game, so an absent host has always left; an absent
// guest left only if they ever were here.
function hasLeft(state, player) {
  return !state.seated.has(player) && (player === state.host || state.seen.has(player));
}

export function departedPlayers(state) {
  return PLAYERS.filter((player) => hasLeft(state, player));
}

export function isBack(state, player) {
  return hasLeft(state, player) && state.seen.has(player);
}

// The join link's seat is free for someone new: nobody took it yet, or its
// player's time to come back ran out.
export function isGuestSeatFree(state, now) {
  const guest = guestColour(state);
  return !state.seated.has(guest) && (!state.seen.has(guest) || secondsHeld(state, guest, now) === 0);
}

// Nobody has taken the join link's seat yet. The computer is there from the
// start, even if its joined event comes a moment after our init.
export function isGuestAwaited(state) {
  const guest = guestColour(state);
  return state.computer === null && !state.seated.has(guest) && !state.seen.has(guest);
}

// The computer always holds the join link's seat: the guest's.
export function isComputer(state, player) {
  return state.computer !== null && player === guestColour(state);
}

// Hints are for the person playing the computer, never for spectators.
export function canHaveHints(state) {
  return state.computer !== null && isPlayer(state.me);
}

// The hints shown now, as scores, or null: on the person's turn, once they came.
export function shownHints(state) {
  return state.hintsOn && canHaveHints(state) && isMyTurn(state) ? state.hintScores : null;
}

export function isAnalysing(state) {
  return state.analysisStep !== null;
}

export function isOver(state) {
  return state.winner !== null || state.draw;
}

export function playerToMove(state) {
  return playerOfMove(state.columns.length);
}

export function isConnected(state) {
  return state.connection === "open";
}

// The page lost its connection for a reason worth showing.
export function isDisconnected(state) {
  return state.connection !== "open" && state.problem !== null;
}

export function isMyTurn(state) {
  return (
    isConnected(state) &&
    isPlayer(state.me) &&
    !isOver(state) &&
    departedPlayers(state).length === 0 &&
    playerToMove(state) === state.me
  );
}

// The server refused to let the page into its game, or back into it: that
// game is over for this page, and so are its links.
export function isLost(state) {
  return state.connection === "stopped" && ["gone", "refused"].includes(state.problem);
}

export function hasAskedForRematch(state) {
  return state.rematchAsked || state.rematch.has(state.me);
}

// Players asking for a rematch, as the page should mention them: a player's
// own request shows on the rematch button instead.
export function rematchRequests(state) {
  return PLAYERS.filter((player) => state.rematch.has(player) && player !== state.me);
}

// Whole seconds left before an absent player's seat stops being held.
export function secondsHeld(state, player, now) {
  const until = state.heldUntil.get(player);
  return until === undefined ? null : Math.max(0, Math.ceil((until - now) / 1000));
}
