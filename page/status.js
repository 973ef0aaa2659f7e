// Words: every sentence the page says about the game, in the status box,
// over the board when the game is lost, in the tab's title and to screen
// readers. Each function reads the state and returns words.

import {
  describeValue,
  moveValue,
  ordinal,
  ownMoveNumber,
  resultThrownAway,
} from "./analysis.js";
import { PLAYER1 } from "../connect4.js";
import {
  SPECTATOR,
  departedPlayers,
  guestColour,
  hasAskedForRematch,
  isAnalysing,
  isComputer,
  isDisconnected,
  isGuestAwaited,
  isLost,
  isMyTurn,
  isOver,
  isPlayer,
  playerToMove,
  rematchRequests,
  secondsHeld,
} from "./game-state.js";
import { isColumnFull, playerOfMove } from "./rules.js";

function capitalize(word) {
  return word.charAt(0).toUpperCase() + word.slice(1);
}

// Headlines have no full stop; read aloud in a row, sentences need one.
export function asSentence(text) {
  return /[.!?…]$/.test(text) || text === "" ? text : `${text}.`;
}

// The status box: a headline in large type and a line of detail, each short
// enough for one line on a phone, so that the box never grows; `action` is
// the button beside the detail, if any; `colour` is the colour the headline
// is about, whose turn it is or who won, for the dot before it.
export function describeStatus(state, now) {
  if (isDisconnected(state)) {
    return describeProblem(state);
  }
  if (state.connection === "connecting" || !state.heardFromServer) {
    return { headline: describeArrival(state), detail: "" };
  }
  if (state.me === null) {
    return { headline: "", detail: state.hint ?? "" };
  }
  if (isAnalysing(state)) {
    return describeAnalysisStep(state);
  }
  return {
    headline: describeHeadline(state),
    detail: state.hint ?? describeDetail(state, now),
    hint: state.hint !== null,
    colour: describedColour(state),
    ...describeAnalyseAction(state),
  };
}

// Once a game is over, anyone in it may see its analysis, from the button
// beside the result; a hint takes the line for a moment.
function describeAnalyseAction(state) {
  const known = state.analysis !== null;
  if (!isOver(state) || state.hint !== null || !(known || state.connection === "open")) {
    return {};
  }
  return state.analysisAsked
    ? { action: "analyse", label: "Analysing…", busy: true }
    : { action: "analyse", label: "Analyse" };
}

function describedColour(state) {
  if (isOver(state)) {
    return state.winner;
  }
  return departedPlayers(state).length > 0 ? null : playerToMove(state);
}

function describeArrival(state) {
  if (state.connection === "connecting") {
    return state.joining ? "Joining the game…" : "Connecting…";
  }
  if (state.joining) {
    return "Joining the game…";
  }
  if (state.resuming || state.everInGame) {
    return "Rejoining the game…";
  }
  return state.me === SPECTATOR ? "Loading the game…" : "Starting a new game…";
}

// How the page names a player: by colour, or as the computer and its level.
export function playerName(state, player) {
  return isComputer(state, player) ? `Computer (${state.computer})` : capitalize(player);
}

export function describeResult(state) {
  if (state.draw) {
    return "It's a draw";
  }
  if (state.winner === state.me) {
    return "You won!";
  }
  return `${playerName(state, state.winner)} wins${isPlayer(state.me) ? "" : "!"}`;
}

function describeHeadline(state) {
  if (isOver(state)) {
    return describeResult(state);
  }
  const departed = departedPlayers(state);
  if (departed.length === 2) {
    return "Both players left";
  }
  if (departed.length === 1) {
    return `${capitalize(departed[0])} left`;
  }
  const player = playerToMove(state);
  if (player === state.me) {
    return "Your turn";
  }
  if (isComputer(state, player)) {
    return `${playerName(state, player)} is thinking…`;
  }
  if (player === guestColour(state) && isGuestAwaited(state)) {
    return isPlayer(state.me) ? "Waiting for your friend" : "Waiting for a second player";
  }
  return `${capitalize(player)}'s turn`;
}

function describeIdentity(state) {
  return isPlayer(state.me) ? `You are ${state.me}.` : "You are watching.";
}

function describeDetail(state, now) {
  const departed = departedPlayers(state);
  if (isOver(state)) {
    const requests = rematchRequests(state);
    if (requests.length === 2) {
      return "Rematch agreed.";
    }
    return requests.length === 1 ? `${capitalize(requests[0])} wants a rematch.` : describeIdentity(state);
  }
  if (departed.length > 0) {
    return describeAbsence(state, departed, now);
  }
  const news = [describeIdentity(state)];
  if (state.rematchStarted && isPlayer(state.me)) {
    news.push("Colours swapped.");
  }
  if (state.back !== null) {
    news.push(`${capitalize(state.back)} is back.`);
  } else if (isMyTurn(state) && isGuestAwaited(state)) {
    news.push("Your friend isn't here yet.");
  }
  return news.join(" ");
}

// The server holds a seat for a while: say how long, so that nobody gives up
// on a player who is reloading their page.
function describeAbsence(state, departed, now) {
  const seconds = Math.min(...departed.map((player) => secondsHeld(state, player, now) ?? Infinity));
  if (seconds === Infinity) {
    return "The game goes on when they're back.";
  }
  if (seconds === 0) {
    const guestLeft = departed.length === 1 && departed[0] === guestColour(state);
    if (guestLeft && state.me === state.host) {
      return "Their seat is free: invite someone else.";
    }
    return "They haven't come back.";
  }
  return `${departed.length === 1 ? "Their seat is" : "Their seats are"} held for ${seconds} s.`;
}

// Why the page isn't connected, and what the user can do about it.
function describeProblem(state) {
  const reconnect = { action: "reconnect", label: "Reconnect now" };
  switch (state.problem) {
    case "unreachable":
      return { headline: "Can't reach the server", detail: "Reconnecting…", ...reconnect };
    case "went-away":
      return { headline: "The server went away", detail: "Reconnecting…", ...reconnect };
    case "full":
      return { headline: "The server is full", detail: "Trying again soon…", ...reconnect };
    case "unavailable":
      return { headline: "The game is out of reach", detail: "Reconnecting…", ...reconnect };
    case "replaced":
      return {
        headline: "Continued in another tab",
        detail: "This tab is on hold.",
        action: "reconnect",
        label: "Play here",
      };
    case "closed":
      return {
        headline: "Disconnected by the server",
        detail: state.detail === "" ? "" : `${capitalize(state.detail)}.`,
        action: "reconnect",
        label: "Reconnect",
      };
    case "gone":
      return { headline: "This game no longer exists", detail: "" };
    case "refused":
      return { headline: describeRefusalHeadline(state), detail: "" };
    default:
      return { headline: "Connection lost", detail: "Reconnecting…", ...reconnect };
  }
}

function describeRefusalHeadline(state) {
  switch (state.refusal?.reason) {
    case "seat-taken":
      return "You can't join this game";
    case "not-found":
      return "This game doesn't exist";
    case "server-full":
      return "The server is full";
    default:
      return "Can't open this game";
  }
}

// The words over the board once the game is lost to this page; the button
// below them starts a new game.
export function describeLoss(state) {
  if (state.problem === "gone") {
    return "The server may have restarted and forgotten it.";
  }
  return state.detail;
}

// A few words for the browser tab, so a player notices their turn from
// another tab.
export function describeForTitle(state) {
  if (isDisconnected(state)) {
    return state.connection === "stopped" ? "Disconnected" : "Reconnecting";
  }
  if (isAnalysing(state)) {
    return "Analysis";
  }
  if (isOver(state)) {
    if (isPlayer(state.me) && rematchRequests(state).length > 0 && !hasAskedForRematch(state)) {
      return "Rematch?";
    }
    return describeResult(state);
  }
  return isMyTurn(state) ? "Your turn" : "";
}

// Why a click on column did nothing, or null if the move should go to the
// server, which judges it.
export function explainRefusedMove(state, column) {
  if (isLost(state)) {
    return null;
  }
  if (state.connection !== "open") {
    return "Not connected: wait until the page reconnects.";
  }
  if (state.me === SPECTATOR) {
    return "Only the players can play.";
  }
  if (!isPlayer(state.me)) {
    return null;
  }
  if (isOver(state)) {
    return "The game is over.";
  }
  const departed = departedPlayers(state);
  if (departed.length > 0) {
    return `Waiting for ${departed[0]} to come back.`;
  }
  const player = playerToMove(state);
  if (isComputer(state, player)) {
    return "The computer is thinking.";
  }
  if (player !== state.me) {
    return isGuestAwaited(state) ? "Your friend hasn't joined yet." : `It's ${player}'s turn.`;
  }
  return isColumnFull(state.columns, column) ? "That column is full." : null;
}

// Screen readers hear these through the page's live region.
export function describeMove(state, player, column) {
  return `${playerName(state, player)} played column ${column + 1}.`;
}

export function describeDeparture(player, grace) {
  const held = grace > 0 ? ` Their seat is held for ${Math.round(grace)} seconds.` : "";
  return `${capitalize(player)} left.${held} The game goes on when they're back.`;
}

export function describeReset(state) {
  if (!isPlayer(state.me)) {
    return "Rematch: a new game starts, colours swapped.";
  }
  return `Rematch: you are ${state.me} now. ${state.me === PLAYER1 ? "You start." : "Red starts."}`;
}

// The invitation's heading names the colour the friend will play.
export function describeSharing(state, inviting) {
  return inviting ? `Invite a friend to play ${guestColour(state)}` : "Anyone can watch at";
}

// Links naming this machine by a loopback address work on this machine only.
export function describeLocalOnly(hostname) {
  return (
    `Only works on this computer: ${hostname} is its own address. Open this page ` +
    "by the computer's network address instead, or run python app.py."
  );
}

// Analysis mode: the status box is about the position on the board, and
// the move that was played from it.

function possessive(state, player) {
  return player === state.me ? "Your" : `${playerName(state, player)}'s`;
}

function describeAnalysisStep(state) {
  const { analysis, analysisStep: step } = state;
  if (step === analysis.columns.length) {
    return { headline: describeResult(state), detail: `The end, after ${step} moves.`, colour: state.winner };
  }
  const column = analysis.columns[step];
  const lost = resultThrownAway(analysis, step);
  const played = lost === null ? describeValue(moveValue(analysis.scores[step][column], step)) : `threw away a ${lost}`;
  return {
    headline: `${possessive(state, playerOfMove(step))} ${ordinal(ownMoveNumber(step))} move`,
    detail: state.hint ?? `Played column ${column + 1}: ${played}.`,
    hint: state.hint !== null || lost !== null,
    colour: playerOfMove(step),
  };
}

// "Red's 7th move threw away a win": a move whose result had another sign
// than the best move's.
export function describeTurningPoint(state, { step, lost }) {
  return `${possessive(state, playerOfMove(step))} ${ordinal(ownMoveNumber(step))} move threw away a ${lost}`;
}

// Where the analysis is, for the counter between its arrows.
export function describeAnalysisPosition(state) {
  const { analysis, analysisStep: step } = state;
  return { short: `${step} / ${analysis.columns.length}`, long: `After ${step} of ${analysis.columns.length} moves` };
}
