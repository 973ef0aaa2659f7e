// The connection: one at a time, another whenever it drops, unless the
// server says that retrying is pointless. This module alone holds the
// socket: the others send through send(), and events.js reads what comes.

import { websocketAddress } from "./address.js";
import { computerGameInit } from "./computer-game.js";
import { handleEvent, parseEvent } from "./events.js";
import { canHaveHints, createGame, isLost, isPlayer } from "./game-state.js";
import { announce, render } from "./render.js";
import { forgetSeat, loadSeat } from "./seat.js";
import { asSentence, describeStatus } from "./status.js";

// After a dropped connection, wait 0.5 s, 1 s, 2 s, 4 s… up to 10 s between
// attempts, so that a server that restarts isn't flooded by its players.
const FIRST_RETRY_MS = 500;
const MAX_RETRY_MS = 10_000;

// Close codes that the server uses; README.md lists them.
const CLOSE_GOING_AWAY = 1001;
const CLOSE_POLICY_VIOLATION = 1008;
const CLOSE_TRY_AGAIN_LATER = 1013;
const CLOSE_REPLACED = 4000;

// A player coming back presents their seat token; with the join key too, the
// server seats them anew if the token no longer works.
function initMessage(query, token) {
  if (query.has("join")) {
    const message = { type: "init", join: query.get("join") };
    return token === null ? message : { ...message, token };
  }
  if (query.has("watch")) {
    return { type: "init", watch: query.get("watch") };
  }
  if (token !== null) {
    return { type: "init", token };
  }
  return computerGameInit(query) ?? { type: "init" };
}

function setProblem(page, connection, problem, detail = "") {
  Object.assign(page.state, { connection, problem, detail });
  render(page);
  const status = describeStatus(page.state, Date.now());
  announce(page, `${asSentence(status.headline)} ${status.detail}`.trim());
  // The board went inert: keyboard users land on the one thing left to do.
  if (isLost(page.state)) {
    page.elements.newGameButton.focus();
  }
}

function stopConnecting(page, problem, detail = "") {
  setProblem(page, "stopped", problem, detail);
}

function retryLater(page, problem) {
  const delay = Math.min(FIRST_RETRY_MS * 2 ** page.failures, MAX_RETRY_MS);
  page.failures += 1;
  page.retryTimer = setTimeout(() => connectNow(page), delay);
  setProblem(page, "waiting", problem);
}

function onOpen(page) {
  const { state, query } = page;
  // The server replays the game from the start: forget what we knew.
  // The board stays until the server lets us back in: a game that is gone
  // shows its last position.
  Object.assign(state, createGame(query));
  const token = query.has("watch") && !query.has("join") ? null : loadSeat();
  state.resuming = token !== null;
  state.connection = "open";
  state.problem = null;
  send(page, initMessage(query, token));
  render(page);
}

function onMessage(page, socket, data) {
  const { state } = page;
  const event = parseEvent(data);
  state.heardFromServer = true;
  if (event === null) {
    return;
  }
  const seated = isPlayer(state.me);
  handleEvent(page, event);
  // Seated on this connection: hints turned on before carry over to it.
  if (!seated && canHaveHints(state) && state.hintsOn) {
    send(page, { type: "hints", on: true });
  }
  if (state.refusal !== null) {
    // The server refused our init; its reason shows once we closed.
    socket.close(1000);
  } else if (state.inGame) {
    // Back in: the next drop starts again from the shortest wait.
    page.failures = 0;
  }
}

function onRefused(page) {
  const { state } = page;
  // The token is dead: keeping it would only be refused again.
  if (state.resuming) {
    forgetSeat();
  }
  const cameBack = state.resuming || state.everInGame;
  if (cameBack && state.refusal.reason === "not-found") {
    stopConnecting(page, "gone");
  } else {
    stopConnecting(page, "refused", state.refusal.message);
  }
}

function onClose(page, wasOpen, { code, reason }) {
  if (code === CLOSE_TRY_AGAIN_LATER) {
    // The server was full before it even read our init, or lost its games'
    // storage for a moment: either way, it asks us to come back.
    retryLater(page, page.state.unavailable ? "unavailable" : "full");
  } else if (page.state.refusal !== null) {
    onRefused(page);
  } else if (code === CLOSE_REPLACED) {
    // Another tab holds the seat now; reconnecting would take it back.
    stopConnecting(page, "replaced");
  } else if (code === CLOSE_POLICY_VIOLATION) {
    // Retrying would get the same answer: let the user decide.
    stopConnecting(page, "closed", reason);
  } else if (code === CLOSE_GOING_AWAY) {
    retryLater(page, "went-away");
  } else if (!wasOpen) {
    // While the server is still down, keep saying why we lost it.
    const lost = ["went-away", "lost", "full", "unavailable"].includes(page.state.problem);
    retryLater(page, lost ? page.state.problem : "unreachable");
  } else {
    retryLater(page, "lost");
  }
}

export function connectNow(page) {
  clearTimeout(page.retryTimer);
  page.retryTimer = null;
  if (page.socket !== null) {
    // An attempt in progress: drop it and start afresh.
    const previous = page.socket;
    page.socket = null;
    previous.close();
  }
  page.state.connection = "connecting";
  render(page);
  let socket;
  try {
    socket = new WebSocket(websocketAddress());
  } catch (error) {
    // A malformed address in the page: retrying can't help.
    console.warn("Can't open the WebSocket connection:", error);
    stopConnecting(page, "refused", "Can't reach the game server: its address is invalid.");
    return;
  }
  page.socket = socket;
  listenToSocket(page, socket);
}

// Send event to the server, if connected; say whether it went.
export function send(page, event) {
  if (page.socket === null || page.socket.readyState !== WebSocket.OPEN) {
    return false;
  }
  page.socket.send(JSON.stringify(event));
  return true;
}

// Events of a connection that was replaced by a newer one are stale.
function listenToSocket(page, socket) {
  let wasOpen = false;
  socket.addEventListener("open", () => {
    if (socket === page.socket) {
      wasOpen = true;
      onOpen(page);
    }
  });
  socket.addEventListener("message", ({ data }) => {
    if (socket === page.socket) {
      onMessage(page, socket, data);
    }
  });
  socket.addEventListener("close", (event) => {
    if (socket === page.socket) {
      page.socket = null;
      onClose(page, wasOpen, event);
    }
  });
}
