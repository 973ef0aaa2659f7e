// The game page: one WebSocket connection to the server, the events it sends,
// the moves the user makes, and the status line that explains it all.

import {
  COLUMNS,
  PLAYER1,
  PLAYER2,
  createBoard,
  highlightWinningLine,
  playMove,
} from "./connect4.js";

const PLAYERS = [PLAYER1, PLAYER2];
const SPECTATOR = "spectator";
const COPIED_FEEDBACK_MS = 2000;

// ---------------------------------------------------------------------------
// Addresses

function readMeta(name) {
  const meta = document.querySelector(`meta[name="${name}"]`);
  return meta === null ? "" : meta.content.trim();
}

// The server puts either ":PORT" (same host as the page, so it works whatever
// name or address the user typed) or a full ws:// or wss:// URL in the tag.
function websocketAddress() {
  const configured = readMeta("websocket") || ":8001";
  if (!configured.startsWith(":")) {
    return configured;
  }
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${location.hostname}${configured}/`;
}

// A page opened as http://localhost/ would hand out links that only work on
// this machine, so the server may tell us an origin other machines can reach.
function shareBase() {
  const inviteOrigin = readMeta("invite-origin");
  if (inviteOrigin === "") {
    return new URL(location.origin + location.pathname);
  }
  const base = new URL(inviteOrigin);
  if (base.pathname === "/") {
    base.pathname = location.pathname;
  }
  return base;
}

function relativeLink(parameter, key) {
  return `?${new URLSearchParams({ [parameter]: key })}`;
}

function absoluteLink(parameter, key) {
  const url = shareBase();
  url.search = relativeLink(parameter, key);
  url.hash = "";
  return url.href;
}

// ---------------------------------------------------------------------------
// What the page knows about the game

function createState(query) {
  return {
    // PLAYER1, PLAYER2, SPECTATOR, or null until the server tells us.
    me: query.has("join") ? null : query.has("watch") ? SPECTATOR : null,
    joining: query.has("join"),
    connection: "connecting", // then "open", then "lost"
    everOpen: false,
    closeReason: "",
    // Until the server's first message, we know nothing of the game.
    heardFromServer: false,
    moves: 0,
    winner: null,
    draw: false,
    // Who is connected now, from init, joined and left events.
    seated: new Set(),
    // Who was in the game at some point, so that their absence means they
    // left rather than that they haven't arrived yet.
    seen: new Set(),
    error: null,
  };
}

// Red creates the game, so an absent red has always left; an absent yellow
// left only if it ever was here.
function hasLeft(state, player) {
  return !state.seated.has(player) && (player === PLAYER1 || state.seen.has(player));
}

function departedPlayers(state) {
  return PLAYERS.filter((player) => hasLeft(state, player));
}

function isOver(state) {
  return state.winner !== null || state.draw;
}

function playerToMove(state) {
  return state.moves % 2 === 0 ? PLAYER1 : PLAYER2;
}

function isPlayer(me) {
  return PLAYERS.includes(me);
}

function isMyTurn(state) {
  return (
    state.connection === "open" &&
    isPlayer(state.me) &&
    !isOver(state) &&
    departedPlayers(state).length === 0 &&
    playerToMove(state) === state.me
  );
}

function capitalize(word) {
  return word.charAt(0).toUpperCase() + word.slice(1);
}

// ---------------------------------------------------------------------------
// Status line

function describeIdentity(state) {
  if (isPlayer(state.me)) {
    return `You are ${state.me}.`;
  }
  if (state.me === SPECTATOR) {
    return "You are a spectator.";
  }
  return "";
}

function describeResult(state) {
  if (state.draw) {
    return "It's a draw.";
  }
  if (state.winner === state.me) {
    return "You won!";
  }
  if (isPlayer(state.me)) {
    return `${capitalize(state.winner)} wins.`;
  }
  return `${capitalize(state.winner)} wins!`;
}

function describeDepartures(state) {
  return departedPlayers(state)
    .map((player) => `${capitalize(player)} left the game.`)
    .join(" ");
}

function describeTurn(state) {
  const player = playerToMove(state);
  const yellowMissing = !state.seated.has(PLAYER2);
  if (player === state.me) {
    return yellowMissing
      ? "Your turn — waiting for yellow to join."
      : "Your turn.";
  }
  if (player === PLAYER2 && yellowMissing) {
    return "Waiting for yellow to join…";
  }
  return `${capitalize(player)}'s turn.`;
}

function describeSituation(state) {
  if (state.connection === "connecting") {
    return state.joining ? "Joining the game…" : "Connecting to the game server…";
  }
  if (!state.heardFromServer) {
    if (state.joining) {
      return "Joining the game…";
    }
    return state.me === SPECTATOR ? "Loading the game…" : "Starting a new game…";
  }
  if (state.me === null) {
    // Joining failed, and the error says why.
    return "";
  }
  const parts = [];
  if (isOver(state)) {
    parts.push(describeResult(state));
  }
  if (departedPlayers(state).length > 0) {
    parts.push(describeDepartures(state));
  } else if (!isOver(state)) {
    parts.push(describeTurn(state));
  }
  return parts.join(" ");
}

// A few words for the browser tab, so a player notices their turn from
// another tab.
function describeForTitle(state) {
  if (state.connection === "lost") {
    return "Disconnected";
  }
  if (isOver(state)) {
    return state.draw ? "Draw" : state.winner === state.me ? "You won" : `${capitalize(state.winner)} wins`;
  }
  return isMyTurn(state) ? "Your turn" : "";
}

function describeDisconnection(state) {
  if (!state.everOpen) {
    return "Connection lost: can't reach the game server.";
  }
  // The server may say why it closed the connection, e.g. when the same
  // seat was taken by another page.
  return state.closeReason === "" ? "Connection lost." : `Connection lost (${state.closeReason}).`;
}

function reloadButton() {
  const button = document.createElement("button");
  button.type = "button";
  button.className = "reconnect";
  // The protocol can't resume a game after a disconnection, so reloading is
  // the honest offer: yellow and spectators come back to the same game if
  // it still exists, red starts a new one.
  button.textContent = "Reload";
  button.addEventListener("click", () => location.reload());
  return button;
}

function renderStatus(statusElement, state) {
  const main = document.createElement("span");
  main.className = "status-text";
  const lines = [main];

  if (state.connection === "lost") {
    main.textContent = isOver(state) ? describeResult(state) : "";
    const lost = document.createElement("span");
    lost.className = "status-lost";
    lost.append(describeDisconnection(state), " ", reloadButton());
    lines.push(lost);
  } else {
    const identity = describeIdentity(state);
    const situation = describeSituation(state);
    if (identity !== "") {
      const who = document.createElement("strong");
      who.className = `status-who ${state.me}`;
      who.textContent = identity;
      main.append(who, " ");
    }
    const what = document.createElement("span");
    what.className = "status-situation";
    what.textContent = situation;
    main.append(what);
    if (state.error !== null) {
      const error = document.createElement("span");
      error.className = "status-error";
      error.textContent = state.error;
      lines.push(error);
    }
  }

  statusElement.replaceChildren(...lines.filter((line) => line.textContent !== ""));
  statusElement.dataset.state = state.connection;
  statusElement.classList.toggle("my-turn", isMyTurn(state));
}

function render(elements, state) {
  renderStatus(elements.status, state);
  elements.board.classList.toggle("my-turn", isMyTurn(state));
  elements.board.classList.toggle("over", isOver(state));
  if (isPlayer(state.me)) {
    elements.board.dataset.player = state.me;
  }
  // Links are of no use once the connection is gone, and the invitation
  // once yellow is in.
  elements.invite.hidden =
    state.me !== PLAYER1 || state.seated.has(PLAYER2) || state.connection === "lost";
  elements.spectate.hidden = elements.spectateLink.textContent === "" || state.connection === "lost";
  const title = describeForTitle(state);
  document.title = title === "" ? "Connect Four" : `${title} · Connect Four`;
}

// ---------------------------------------------------------------------------
// Links to share

function showLinks(elements, joinKey, watchKey) {
  if (typeof joinKey === "string" && joinKey !== "") {
    elements.joinLink.href = relativeLink("join", joinKey);
    elements.joinLink.hidden = false;
    elements.inviteLink.textContent = absoluteLink("join", joinKey);
  }
  if (typeof watchKey === "string" && watchKey !== "") {
    elements.watchLink.href = relativeLink("watch", watchKey);
    elements.watchLink.hidden = false;
    const watchUrl = absoluteLink("watch", watchKey);
    elements.spectateLink.href = watchUrl;
    elements.spectateLink.textContent = watchUrl;
  }
}

function flashButtonLabel(button, label) {
  const original = button.dataset.label ?? button.textContent;
  button.dataset.label = original;
  button.textContent = label;
  clearTimeout(Number(button.dataset.timer));
  button.dataset.timer = String(
    setTimeout(() => {
      button.textContent = original;
    }, COPIED_FEEDBACK_MS),
  );
}

function selectContents(element) {
  const selection = window.getSelection();
  selection.removeAllRanges();
  selection.selectAllChildren(element);
}

// The clipboard API only exists in secure contexts, which a page opened over
// the LAN isn't; then select the link, so the user can copy it themselves.
async function copyInvitation(linkElement, button) {
  try {
    await navigator.clipboard.writeText(linkElement.textContent);
    flashButtonLabel(button, "Copied!");
  } catch {
    selectContents(linkElement);
    let copied = false;
    try {
      copied = document.execCommand("copy");
    } catch {
      copied = false;
    }
    flashButtonLabel(button, copied ? "Copied!" : "Selected, copy it");
  }
}

// ---------------------------------------------------------------------------
// Events from the server

function isValidPlay(event) {
  return (
    PLAYERS.includes(event.player) &&
    Number.isInteger(event.column) &&
    Number.isInteger(event.row)
  );
}

function handleEvent(elements, state, event) {
  switch (event.type) {
    case "init": {
      // Before yellow existed in the protocol, init meant "you are red".
      const player = PLAYERS.includes(event.player)
        ? event.player
        : state.joining ? PLAYER2 : PLAYER1;
      state.me = player;
      state.seated.add(player);
      state.seen.add(player);
      state.error = null;
      showLinks(elements, event.join, event.watch);
      break;
    }
    case "play":
      if (!isValidPlay(event)) {
        console.warn("Ignoring a malformed play event:", event);
        return;
      }
      try {
        playMove(elements.board, event.player, event.column, event.row);
      } catch (error) {
        console.warn("Ignoring an impossible move:", event, error);
        return;
      }
      state.moves += 1;
      // Whoever moved was in the game, even if they left before we came.
      state.seen.add(event.player);
      state.error = null;
      break;
    case "win":
      if (!PLAYERS.includes(event.player)) {
        console.warn("Ignoring a win event without a winner:", event);
        return;
      }
      state.winner = event.player;
      state.error = null;
      highlightWinningLine(elements.board, event.player);
      break;
    case "draw":
      state.draw = true;
      state.error = null;
      break;
    case "joined":
      if (!PLAYERS.includes(event.player)) {
        console.warn("Ignoring a joined event without a player:", event);
        return;
      }
      state.seated.add(event.player);
      state.seen.add(event.player);
      break;
    case "left":
      if (!PLAYERS.includes(event.player)) {
        console.warn("Ignoring a left event without a player:", event);
        return;
      }
      state.seated.delete(event.player);
      break;
    case "error":
      state.error =
        typeof event.message === "string" && event.message !== ""
          ? event.message
          : "The server reported an error.";
      break;
    default:
      console.warn("Ignoring an event of unknown type:", event);
      return;
  }
  render(elements, state);
}

function parseEvent(data) {
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

// ---------------------------------------------------------------------------
// Moves from the user

function initMessage(query) {
  if (query.has("join")) {
    return { type: "init", join: query.get("join") };
  }
  if (query.has("watch")) {
    return { type: "init", watch: query.get("watch") };
  }
  return { type: "init" };
}

// Every move goes to the server, which is the judge of whether it's allowed:
// a move out of turn comes back as an error that tells the player why.
function requestMove(elements, state, websocket, column) {
  if (websocket === null || websocket.readyState !== WebSocket.OPEN) {
    return;
  }
  // Before init, or after joining failed, there's no game to play in.
  if (state.me === null) {
    return;
  }
  websocket.send(JSON.stringify({ type: "play", column }));
}

function columnOf(target) {
  const columnElement = target instanceof Element ? target.closest(".column") : null;
  return columnElement === null ? null : Number(columnElement.dataset.column);
}

function focusColumn(elements, column) {
  const clamped = Math.min(Math.max(column, 0), COLUMNS - 1);
  elements.board.querySelector(`.column[data-column="${clamped}"]`).focus();
}

function isTypingInto(target) {
  return (
    target instanceof HTMLElement &&
    (target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName))
  );
}

function listenToUser(elements, state, getWebsocket) {
  const play = (column) => requestMove(elements, state, getWebsocket(), column);

  elements.board.addEventListener("click", (event) => {
    const column = columnOf(event.target);
    if (column !== null) {
      play(column);
    }
  });

  elements.board.addEventListener("keydown", (event) => {
    const column = columnOf(event.target);
    if (column === null || event.altKey || event.ctrlKey || event.metaKey) {
      return;
    }
    const moves = { ArrowLeft: column - 1, ArrowRight: column + 1, Home: 0, End: COLUMNS - 1 };
    if (event.key in moves) {
      event.preventDefault();
      focusColumn(elements, moves[event.key]);
    } else if (event.key === "Enter" || event.key === " ") {
      // Space would scroll the page, and a held key would fire many moves.
      event.preventDefault();
      if (!event.repeat) {
        play(column);
      }
    }
  });

  document.addEventListener("keydown", (event) => {
    if (event.altKey || event.ctrlKey || event.metaKey || event.repeat) {
      return;
    }
    if (isTypingInto(event.target) || !/^[1-7]$/.test(event.key)) {
      return;
    }
    event.preventDefault();
    play(Number(event.key) - 1);
  });

  elements.copyButton.addEventListener("click", () => {
    copyInvitation(elements.inviteLink, elements.copyButton);
  });
}

// ---------------------------------------------------------------------------
// Connection

function connect(elements, state, query) {
  let websocket;
  try {
    websocket = new WebSocket(websocketAddress());
  } catch (error) {
    console.warn("Can't open the WebSocket connection:", error);
    state.connection = "lost";
    render(elements, state);
    return null;
  }
  websocket.addEventListener("open", () => {
    state.connection = "open";
    state.everOpen = true;
    websocket.send(JSON.stringify(initMessage(query)));
    render(elements, state);
  });
  websocket.addEventListener("message", ({ data }) => {
    const event = parseEvent(data);
    state.heardFromServer = true;
    if (event !== null) {
      handleEvent(elements, state, event);
    }
  });
  websocket.addEventListener("close", ({ reason }) => {
    state.connection = "lost";
    state.closeReason = reason;
    render(elements, state);
  });
  return websocket;
}

function findElements() {
  const find = (selector) => document.querySelector(selector);
  return {
    status: find(".status"),
    board: find(".board"),
    invite: find(".invite"),
    inviteLink: find(".invite-link"),
    copyButton: find("button.copy"),
    spectate: find(".spectate"),
    spectateLink: find(".watch-link"),
    joinLink: find(".actions a.join"),
    watchLink: find(".actions a.watch"),
  };
}

function main() {
  const elements = findElements();
  const query = new URLSearchParams(location.search);
  const state = createState(query);
  createBoard(elements.board);
  render(elements, state);
  let websocket = null;
  listenToUser(elements, state, () => websocket);
  websocket = connect(elements, state, query);
}

main();
