// The game page: one WebSocket connection to the server at a time, the events
// it sends, the moves the user makes, and the status line that explains it all.

import {
  COLUMNS,
  PLAYER1,
  PLAYER2,
  clearBoard,
  createBoard,
  highlightWinningLine,
  playMove,
} from "./connect4.js";

const PLAYERS = [PLAYER1, PLAYER2];
const SPECTATOR = "spectator";
const COPIED_FEEDBACK_MS = 2000;

// Where the page keeps its seat token: sessionStorage survives a reload but
// not the tab, and the token never goes into a URL.
const SEAT_KEY = "connect4.seat";

// After a dropped connection, wait 0.5 s, 1 s, 2 s, 4 s… up to 10 s between
// attempts, so that a server that restarts isn't flooded by its players.
const FIRST_RETRY_MS = 500;
const MAX_RETRY_MS = 10_000;

// Close codes that the server uses; README.md lists them.
const CLOSE_GOING_AWAY = 1001;
const CLOSE_POLICY_VIOLATION = 1008;
const CLOSE_TRY_AGAIN_LATER = 1013;
const CLOSE_REPLACED = 4000;

// How the server words an unknown key or token: the game ended, or the server
// restarted and forgot it.
const GAME_DOES_NOT_EXIST = /doesn't exist/i;

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
// The seat token, kept for this page's address only

function loadSeat() {
  try {
    const seat = JSON.parse(sessionStorage.getItem(SEAT_KEY));
    if (
      seat !== null &&
      typeof seat === "object" &&
      seat.search === location.search &&
      typeof seat.token === "string" &&
      seat.token !== ""
    ) {
      return seat.token;
    }
  } catch {
    // Storage disabled, or something else wrote the key: no seat to resume.
  }
  return null;
}

function saveSeat(token) {
  try {
    sessionStorage.setItem(SEAT_KEY, JSON.stringify({ search: location.search, token }));
  } catch {
    // Without storage, a reload starts over, as in the tutorial.
  }
}

function forgetSeat() {
  try {
    sessionStorage.removeItem(SEAT_KEY);
  } catch {
    // Nothing was stored.
  }
}

function startNewGame() {
  forgetSeat();
  location.assign(new URL("./", location.href));
}

// ---------------------------------------------------------------------------
// What the page knows about the game

// What one connection learns; each new connection starts again from here,
// and the server replays the game.
function createGame(query) {
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
    // The server refused our init, saying why; the connection then closes.
    refusal: null,
    moves: 0,
    winner: null,
    draw: false,
    // A rematch started and nobody has moved yet.
    rematchStarted: false,
    // Who is connected now, from init, joined and left events.
    seated: new Set(),
    // Who was in the game at some point, so that their absence means they
    // left rather than that they haven't arrived yet.
    seen: new Set(),
    // A player who left and came back, until the next move.
    back: null,
    // Players asking for a rematch, and whether we asked and wait to hear it.
    rematch: new Set(),
    rematchAsked: false,
    // Games won by whoever plays each colour now, and draws.
    score: { [PLAYER1]: 0, [PLAYER2]: 0, draws: 0 },
    error: null,
  };
}

function createState(query) {
  return {
    // "connecting", "open", "waiting" (to reconnect) or "stopped".
    connection: "connecting",
    // Why the page isn't connected: see describeProblem.
    problem: null,
    detail: "",
    // Some connection got into the game, so a refusal now means it's gone.
    everInGame: false,
    ...createGame(query),
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

function opponent(player) {
  return player === PLAYER1 ? PLAYER2 : PLAYER1;
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

// The server refused to let the page back into its game: that game is over
// for this page, and so are its links.
function isLost(state) {
  return state.connection === "stopped" && ["gone", "refused"].includes(state.problem);
}

function hasAskedForRematch(state) {
  return state.rematchAsked || state.rematch.has(state.me);
}

// Players asking for a rematch, as the page should mention them: a player's
// own request shows on the rematch button instead.
function rematchRequests(state) {
  return PLAYERS.filter((player) => state.rematch.has(player) && player !== state.me);
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

function describePresence(state) {
  const departed = departedPlayers(state);
  if (departed.length > 0) {
    return departed.map((player) => `${capitalize(player)} left.`).join(" ");
  }
  return state.back === null ? "" : `${capitalize(state.back)} is back.`;
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

function describeArrival(state) {
  if (state.joining) {
    return "Joining the game…";
  }
  if (state.resuming) {
    return "Rejoining the game…";
  }
  if (state.me === SPECTATOR) {
    return "Loading the game…";
  }
  return state.everInGame ? "Rejoining the game…" : "Starting a new game…";
}

function describeSituation(state) {
  if (state.connection === "connecting") {
    return state.joining ? "Joining the game…" : "Connecting to the game server…";
  }
  if (!state.heardFromServer) {
    return describeArrival(state);
  }
  if (state.me === null) {
    return "";
  }
  const parts = [];
  if (isOver(state)) {
    parts.push(describeResult(state));
    for (const player of rematchRequests(state)) {
      parts.push(`${capitalize(player)} wants a rematch.`);
    }
  } else if (state.rematchStarted) {
    parts.push("Rematch: colours swapped.");
  }
  const presence = describePresence(state);
  if (presence !== "") {
    parts.push(presence);
  }
  if (!isOver(state) && departedPlayers(state).length === 0) {
    parts.push(describeTurn(state));
  }
  return parts.join(" ");
}

// Why the page isn't connected, and what the user can do about it.
function describeProblem(state) {
  const reconnect = { action: "reconnect", label: "Reconnect now" };
  switch (state.problem) {
    case "unreachable":
      return { text: "Can't reach the game server. Reconnecting…", ...reconnect };
    case "went-away":
      return { text: "The server went away. Reconnecting…", ...reconnect };
    case "full":
      return { text: "The server is full. Reconnecting…", ...reconnect };
    case "replaced":
      return { text: "This game continued in another tab.", action: "reconnect", label: "Play here" };
    case "closed":
      return {
        text:
          state.detail === ""
            ? "The server closed the connection."
            : `The server closed the connection (${state.detail}).`,
        action: "reconnect",
        label: "Reconnect",
      };
    case "gone":
      return {
        text: "This game no longer exists. The server may have restarted.",
        action: "new-game",
        label: "New game",
      };
    case "refused":
      return { text: state.detail, action: "new-game", label: "New game" };
    default:
      return { text: "Connection lost. Reconnecting…", ...reconnect };
  }
}

// A few words for the browser tab, so a player notices their turn from
// another tab.
function describeForTitle(state) {
  if (state.connection !== "open" && state.problem !== null) {
    return state.connection === "stopped" ? "Disconnected" : "Reconnecting";
  }
  if (isOver(state)) {
    if (isPlayer(state.me) && rematchRequests(state).length > 0 && !hasAskedForRematch(state)) {
      return "Rematch?";
    }
    return state.draw ? "Draw" : state.winner === state.me ? "You won" : `${capitalize(state.winner)} wins`;
  }
  return isMyTurn(state) ? "Your turn" : "";
}

function actionButton({ action, label }) {
  const button = document.createElement("button");
  button.type = "button";
  button.className = "reconnect";
  button.dataset.action = action;
  button.textContent = label;
  return button;
}

function renderStatus(statusElement, state) {
  const main = document.createElement("span");
  main.className = "status-text";
  const lines = [main];
  const disconnected = state.connection !== "open" && state.problem !== null;

  if (disconnected) {
    // What went wrong comes first. The board stays on screen until the
    // next connection, so say how its game ended, if it did.
    main.textContent = isOver(state) && !isLost(state) ? describeResult(state) : "";
    const problem = describeProblem(state);
    const line = document.createElement("span");
    line.className = "status-problem";
    line.append(problem.text, " ", actionButton(problem));
    lines.push(line);
  } else {
    const identity = describeIdentity(state);
    if (identity !== "") {
      const who = document.createElement("strong");
      who.className = `status-who ${state.me}`;
      who.textContent = identity;
      main.append(who, " ");
    }
    const what = document.createElement("span");
    what.className = "status-situation";
    what.textContent = describeSituation(state);
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

// The score across games, by the colours players have now: players see
// themselves against their opponent, spectators red against yellow.
function renderScore(scoreElement, state) {
  const { score } = state;
  const games = score[PLAYER1] + score[PLAYER2] + score.draws;
  scoreElement.hidden = games === 0;
  if (games === 0) {
    return;
  }
  const side = (player, name) => {
    const element = document.createElement("span");
    element.className = `score-side ${player}`;
    element.textContent = name;
    return element;
  };
  const points = (first, second) => {
    const element = document.createElement("strong");
    element.className = "score-points";
    element.textContent = `${score[first]} – ${score[second]}`;
    return element;
  };
  const label = document.createElement("span");
  label.className = "score-label";
  label.textContent = "Score";
  const parts = isPlayer(state.me)
    ? [side(state.me, "You"), " ", points(state.me, opponent(state.me)), " ", side(opponent(state.me), "Opponent")]
    : [side(PLAYER1, "Red"), " ", points(PLAYER1, PLAYER2), " ", side(PLAYER2, "Yellow")];
  if (score.draws > 0) {
    const draws = document.createElement("span");
    draws.className = "score-draws";
    draws.textContent = score.draws === 1 ? "1 draw" : `${score.draws} draws`;
    parts.push(" · ", draws);
  }
  scoreElement.replaceChildren(label, " ", ...parts);
}

function renderRematch(button, state) {
  // Spectators follow rematches but have no say in them.
  button.hidden = !isPlayer(state.me) || !isOver(state) || state.connection === "stopped";
  if (button.hidden) {
    return;
  }
  const asked = hasAskedForRematch(state);
  const invited = rematchRequests(state).length > 0;
  button.disabled = asked || state.connection !== "open";
  button.classList.toggle("invited", invited && !asked);
  button.textContent = asked ? "Waiting for opponent…" : invited ? "Accept rematch" : "Rematch";
}

function render(elements, state) {
  renderStatus(elements.status, state);
  renderScore(elements.score, state);
  renderRematch(elements.rematch, state);
  elements.match.hidden = elements.score.hidden && elements.rematch.hidden;
  elements.board.classList.toggle("my-turn", isMyTurn(state));
  elements.board.classList.toggle("over", isOver(state));
  elements.board.classList.toggle("offline", state.connection !== "open" && state.problem !== null);
  if (isPlayer(state.me)) {
    elements.board.dataset.player = state.me;
  }
  // Links are of no use once the connection is gone, and the invitation
  // once yellow came: after that, the seat is yellow's, reload or not.
  const connected = state.connection === "open";
  elements.invite.hidden = state.me !== PLAYER1 || state.seen.has(PLAYER2) || !connected;
  elements.spectate.hidden = elements.spectateLink.textContent === "" || !connected;
  elements.joinLink.hidden = elements.joinLink.getAttribute("href") === "" || isLost(state);
  elements.watchLink.hidden = elements.watchLink.getAttribute("href") === "" || isLost(state);
  const title = describeForTitle(state);
  document.title = title === "" ? "Connect Four" : `${title} · Connect Four`;
}

// ---------------------------------------------------------------------------
// Links to share

function showLinks(elements, joinKey, watchKey) {
  if (typeof joinKey === "string" && joinKey !== "") {
    elements.joinLink.href = relativeLink("join", joinKey);
    elements.inviteLink.textContent = absoluteLink("join", joinKey);
  }
  if (typeof watchKey === "string" && watchKey !== "") {
    elements.watchLink.href = relativeLink("watch", watchKey);
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

function isValidScore(score) {
  return (
    score !== null &&
    typeof score === "object" &&
    [PLAYER1, PLAYER2, "draws"].every((key) => Number.isInteger(score[key]) && score[key] >= 0)
  );
}

// Whatever happens in the game, "is back" was news only until then.
function gameMoved(state) {
  state.back = null;
  state.error = null;
}

// Events that are about one player, and mean nothing without a valid one.
const PLAYER_EVENTS = new Set(["win", "joined", "left", "rematch"]);

function handleEvent(elements, state, event) {
  if (PLAYER_EVENTS.has(event.type) && !PLAYERS.includes(event.player)) {
    console.warn(`Ignoring a ${event.type} event without a player:`, event);
    return;
  }
  switch (event.type) {
    case "init": {
      // Before yellow existed in the protocol, init meant "you are red".
      const player = PLAYERS.includes(event.player)
        ? event.player
        : state.joining ? PLAYER2 : PLAYER1;
      // The first init of a connection seats us; another one comes when a
      // rematch swaps colours, just before the reset that swaps everyone's.
      if (!isPlayer(state.me)) {
        state.seated.add(player);
        state.seen.add(player);
      }
      state.me = player;
      state.error = null;
      if (typeof event.token === "string" && event.token !== "") {
        saveSeat(event.token);
      }
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
      state.rematchStarted = false;
      // Whoever moved was in the game, even if they left before we came.
      state.seen.add(event.player);
      gameMoved(state);
      break;
    case "win":
      state.winner = event.player;
      // The server counts too, and says so at the next reset.
      state.score[event.player] += 1;
      gameMoved(state);
      highlightWinningLine(elements.board, event.player);
      break;
    case "draw":
      state.draw = true;
      state.score.draws += 1;
      gameMoved(state);
      break;
    case "joined":
      // A replay starts with who is here: only someone we saw leave is back.
      if (hasLeft(state, event.player) && state.seen.has(event.player)) {
        state.back = event.player;
      }
      state.seated.add(event.player);
      state.seen.add(event.player);
      break;
    case "left":
      state.seated.delete(event.player);
      if (state.back === event.player) {
        state.back = null;
      }
      break;
    case "rematch":
      state.rematch.add(event.player);
      break;
    case "reset":
      // Live, a reset follows the end of a game, and the players swap
      // colours. Replayed to a page that just connected, it comes first,
      // with the players already under their new colours.
      if (isOver(state)) {
        state.seated = new Set(Array.from(state.seated, opponent));
      }
      // Both players took part in a game before this one.
      state.seen = new Set(PLAYERS);
      state.moves = 0;
      state.winner = null;
      state.draw = false;
      state.rematch = new Set();
      state.rematchAsked = false;
      state.rematchStarted = true;
      if (isValidScore(event.score)) {
        state.score = { ...event.score };
      }
      gameMoved(state);
      clearBoard(elements.board);
      break;
    case "error":
      // A refused rematch request is no longer pending.
      state.rematchAsked = false;
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
// Connection

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
  return token === null ? { type: "init" } : { type: "init", token };
}

// Start a connection now and another whenever it drops, unless the server
// says that retrying is pointless. Returns what the user's actions need.
function createConnection(elements, state, query) {
  let websocket = null;
  let retryTimer = null;
  let failures = 0;

  function stop(problem, detail = "") {
    state.connection = "stopped";
    state.problem = problem;
    state.detail = detail;
    render(elements, state);
  }

  function retry(problem, detail = "") {
    state.connection = "waiting";
    state.problem = problem;
    state.detail = detail;
    const delay = Math.min(FIRST_RETRY_MS * 2 ** failures, MAX_RETRY_MS);
    failures += 1;
    retryTimer = setTimeout(connectNow, delay);
    render(elements, state);
  }

  function opened(socket) {
    // The server replays the game from the start: forget what we knew.
    Object.assign(state, createGame(query));
    clearBoard(elements.board);
    const token = query.has("watch") && !query.has("join") ? null : loadSeat();
    state.resuming = token !== null;
    state.connection = "open";
    state.problem = null;
    socket.send(JSON.stringify(initMessage(query, token)));
    render(elements, state);
  }

  function received(socket, data) {
    const event = parseEvent(data);
    state.heardFromServer = true;
    if (event === null) {
      return;
    }
    if (event.type === "error" && !state.inGame) {
      // The server refused our init; its reason shows once we closed.
      state.refusal =
        typeof event.message === "string" && event.message !== ""
          ? event.message
          : "The server refused to open this game.";
      socket.close(1000);
      return;
    }
    if (event.type !== "error") {
      state.inGame = true;
      state.everInGame = true;
      failures = 0;
    }
    handleEvent(elements, state, event);
  }

  function closed(wasOpen, { code, reason }) {
    if (code === CLOSE_TRY_AGAIN_LATER) {
      // The server was full before it even read our init.
      retry("full");
    } else if (state.refusal !== null) {
      // The token is dead: keeping it would only be refused again.
      if (state.resuming) {
        forgetSeat();
      }
      const cameBack = state.resuming || state.everInGame;
      if (cameBack && GAME_DOES_NOT_EXIST.test(state.refusal)) {
        stop("gone");
      } else {
        stop("refused", state.refusal);
      }
    } else if (code === CLOSE_REPLACED) {
      // Another tab holds the seat now; reconnecting would take it back.
      stop("replaced");
    } else if (code === CLOSE_POLICY_VIOLATION) {
      // Retrying would get the same answer: let the user decide.
      stop("closed", reason);
    } else if (code === CLOSE_GOING_AWAY) {
      retry("went-away");
    } else if (!wasOpen) {
      // While the server is still down, keep saying why we lost it.
      const lost = ["went-away", "lost", "full"].includes(state.problem);
      retry(lost ? state.problem : "unreachable");
    } else {
      retry("lost");
    }
  }

  function connectNow() {
    clearTimeout(retryTimer);
    retryTimer = null;
    if (websocket !== null) {
      // An attempt in progress: drop it and start afresh.
      const previous = websocket;
      websocket = null;
      previous.close();
    }
    state.connection = "connecting";
    render(elements, state);
    let socket;
    try {
      socket = new WebSocket(websocketAddress());
    } catch (error) {
      // A malformed address in the page: retrying can't help.
      console.warn("Can't open the WebSocket connection:", error);
      stop("refused", "Can't reach the game server: its address is invalid.");
      return;
    }
    websocket = socket;
    let wasOpen = false;
    // Events of a connection that was replaced by a newer one are stale.
    socket.addEventListener("open", () => {
      if (socket === websocket) {
        wasOpen = true;
        opened(socket);
      }
    });
    socket.addEventListener("message", ({ data }) => {
      if (socket === websocket) {
        received(socket, data);
      }
    });
    socket.addEventListener("close", (event) => {
      if (socket === websocket) {
        websocket = null;
        closed(wasOpen, event);
      }
    });
  }

  // Back online: no need to wait for the next attempt.
  window.addEventListener("online", () => {
    if (state.connection === "waiting") {
      connectNow();
    }
  });

  connectNow();
  return {
    current: () => websocket,
    connectNow,
  };
}

// ---------------------------------------------------------------------------
// Moves from the user

function send(websocket, event) {
  if (websocket === null || websocket.readyState !== WebSocket.OPEN) {
    return false;
  }
  websocket.send(JSON.stringify(event));
  return true;
}

// Every move goes to the server, which is the judge of whether it's allowed:
// a move out of turn comes back as an error that tells the player why.
function requestMove(elements, state, websocket, column) {
  if (state.connection !== "open") {
    return;
  }
  if (state.me === SPECTATOR) {
    state.error = "You're watching this game: only the players can play.";
    render(elements, state);
    return;
  }
  // Before init, or after joining failed, there's no game to play in.
  if (state.me === null) {
    return;
  }
  send(websocket, { type: "play", column });
}

function requestRematch(elements, state, websocket) {
  if (!isPlayer(state.me) || !isOver(state) || hasAskedForRematch(state)) {
    return;
  }
  if (send(websocket, { type: "rematch" })) {
    state.rematchAsked = true;
    render(elements, state);
  }
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

function listenToUser(elements, state, connection) {
  const play = (column) => requestMove(elements, state, connection.current(), column);

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

  elements.rematch.addEventListener("click", () => {
    requestRematch(elements, state, connection.current());
  });

  // The status line's buttons are redrawn with it, so listen above them.
  elements.status.addEventListener("click", (event) => {
    const button = event.target instanceof Element ? event.target.closest("button[data-action]") : null;
    if (button === null) {
      return;
    }
    if (button.dataset.action === "new-game") {
      startNewGame();
    } else {
      connection.connectNow();
    }
  });

  // A new game must not resume the seat of this one.
  elements.newGameLink.addEventListener("click", forgetSeat);
}

function findElements() {
  const find = (selector) => document.querySelector(selector);
  return {
    status: find(".status"),
    board: find(".board"),
    match: find(".match"),
    score: find(".score"),
    rematch: find("button.rematch"),
    invite: find(".invite"),
    inviteLink: find(".invite-link"),
    copyButton: find("button.copy"),
    spectate: find(".spectate"),
    spectateLink: find(".watch-link"),
    newGameLink: find(".actions a.new"),
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
  const connection = createConnection(elements, state, query);
  listenToUser(elements, state, connection);
}

main();
