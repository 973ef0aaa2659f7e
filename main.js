// The game page: one WebSocket connection to the server at a time, the events
// it sends, the moves the user makes, and what the page shows of it all.
// connect4.js draws the board; this module does the rest, in sections: what
// the page knows, the words it says, drawing, events, connection, the user.

import {
  COLUMNS,
  PLAYER1,
  PLAYER2,
  clearBoard,
  createBoard,
  focusColumn,
  highlightWinningLine,
  isColumnFull,
  playMove,
  setTabStop,
} from "./connect4.js";

const COPIED_FEEDBACK_MS = 2000;

// An explanation of why a click did nothing lasts this long, or until the
// game moves on, then the status box says what it said before.
const HINT_MS = 5000;

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

// ---------------------------------------------------------------------------
// What the page knows about the game, and the questions asked about it

const PLAYERS = [PLAYER1, PLAYER2];
const SPECTATOR = "spectator";

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
    // The server refused our init: { message, reason }; the connection closes.
    refusal: null,
    moves: 0,
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

function isPlayer(me) {
  return PLAYERS.includes(me);
}

function opponent(player) {
  return player === PLAYER1 ? PLAYER2 : PLAYER1;
}

// The colour the second player, who came with the join link, plays now.
function guestColour(state) {
  return opponent(state.host);
}

// The host created the game, so an absent host has always left; an absent
// guest left only if they ever were here.
function hasLeft(state, player) {
  return !state.seated.has(player) && (player === state.host || state.seen.has(player));
}

function departedPlayers(state) {
  return PLAYERS.filter((player) => hasLeft(state, player));
}

function isBack(state, player) {
  return hasLeft(state, player) && state.seen.has(player);
}

// The join link's seat is free for someone new: nobody took it yet, or its
// player's time to come back ran out.
function isGuestSeatFree(state, now) {
  const guest = guestColour(state);
  return !state.seated.has(guest) && (!state.seen.has(guest) || secondsHeld(state, guest, now) === 0);
}

// Nobody has taken the join link's seat yet.
function isGuestAwaited(state) {
  const guest = guestColour(state);
  return !state.seated.has(guest) && !state.seen.has(guest);
}

function isOver(state) {
  return state.winner !== null || state.draw;
}

function playerToMove(state) {
  return state.moves % 2 === 0 ? PLAYER1 : PLAYER2;
}

function isConnected(state) {
  return state.connection === "open";
}

// The page lost its connection for a reason worth showing.
function isDisconnected(state) {
  return state.connection !== "open" && state.problem !== null;
}

function isMyTurn(state) {
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

// Whole seconds left before an absent player's seat stops being held.
function secondsHeld(state, player, now) {
  const until = state.heldUntil.get(player);
  return until === undefined ? null : Math.max(0, Math.ceil((until - now) / 1000));
}

// ---------------------------------------------------------------------------
// Words: every sentence the page says about the game, in the status box,
// over the board when the game is lost, in the tab's title and to screen
// readers. Each function reads the state and returns words.

function capitalize(word) {
  return word.charAt(0).toUpperCase() + word.slice(1);
}

// Headlines have no full stop; read aloud in a row, sentences need one.
function asSentence(text) {
  return /[.!?…]$/.test(text) || text === "" ? text : `${text}.`;
}

// The status box: a headline in large type and a line of detail, each short
// enough for one line on a phone, so that the box never grows; `action` is
// the button beside the detail, if any; `colour` is the colour the headline
// is about, whose turn it is or who won, for the dot before it.
function describeStatus(state, now) {
  if (isDisconnected(state)) {
    return describeProblem(state);
  }
  if (state.connection === "connecting" || !state.heardFromServer) {
    return { headline: describeArrival(state), detail: "" };
  }
  if (state.me === null) {
    return { headline: "", detail: state.hint ?? "" };
  }
  return {
    headline: describeHeadline(state),
    detail: state.hint ?? describeDetail(state, now),
    hint: state.hint !== null,
    colour: describedColour(state),
  };
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

function describeResult(state) {
  if (state.draw) {
    return "It's a draw";
  }
  if (state.winner === state.me) {
    return "You won!";
  }
  return `${capitalize(state.winner)} wins${isPlayer(state.me) ? "" : "!"}`;
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
      return "Both players want a rematch.";
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
function describeLoss(state) {
  if (state.problem === "gone") {
    return "The server may have restarted and forgotten it.";
  }
  return state.detail;
}

// A few words for the browser tab, so a player notices their turn from
// another tab.
function describeForTitle(state) {
  if (isDisconnected(state)) {
    return state.connection === "stopped" ? "Disconnected" : "Reconnecting";
  }
  if (isOver(state)) {
    if (isPlayer(state.me) && rematchRequests(state).length > 0 && !hasAskedForRematch(state)) {
      return "Rematch?";
    }
    return describeResult(state);
  }
  return isMyTurn(state) ? "Your turn" : "";
}

// Why a click on the board did nothing, or null if the move should go to the
// server, which judges it.
function explainRefusedMove(state, columnIsFull) {
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
  if (player !== state.me) {
    return isGuestAwaited(state) ? "Your friend hasn't joined yet." : `It's ${player}'s turn.`;
  }
  return columnIsFull ? "That column is full." : null;
}

// Screen readers hear these through the page's live region.
function describeMove(player, column) {
  return `${capitalize(player)} played column ${column + 1}.`;
}

function describeDeparture(player, grace) {
  const held = grace > 0 ? ` Their seat is held for ${Math.round(grace)} seconds.` : "";
  return `${capitalize(player)} left.${held} The game goes on when they're back.`;
}

function describeReset(state) {
  if (!isPlayer(state.me)) {
    return "Rematch: a new game starts, colours swapped.";
  }
  return `Rematch: you are ${state.me} now. ${state.me === PLAYER1 ? "You start." : "Red starts."}`;
}

// The invitation's heading names the colour the friend will play.
function describeSharing(state, inviting) {
  return inviting ? `Invite a friend to play ${guestColour(state)}` : "Anyone can watch at";
}

// Links naming this machine by a loopback address work on this machine only.
function describeLocalOnly(hostname) {
  return (
    `Only works on this computer: ${hostname} is its own address. Open this page ` +
    "by the computer's network address instead, or run python app.py."
  );
}

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

function absoluteLink(parameter, key) {
  const url = shareBase();
  url.search = `?${new URLSearchParams({ [parameter]: key })}`;
  url.hash = "";
  return url.href;
}

// Names that reach this machine only, wherever a link holding them is opened.
// 0.0.0.0 is what servers print for "every interface", and people copy it.
function isLocalOnly(hostname) {
  return (
    hostname === "localhost" ||
    hostname.endsWith(".localhost") ||
    /^127\.\d+\.\d+\.\d+$/.test(hostname) ||
    ["[::1]", "0.0.0.0", "[::]"].includes(hostname)
  );
}

// The links the page hands out: with no invite-origin from the server, they
// carry the page's own address, which may be this machine's alone.
function localOnlyHost() {
  const hostname = shareBase().hostname;
  return isLocalOnly(hostname) ? hostname : null;
}

// ---------------------------------------------------------------------------
// The seat token, kept for this page's address only

function loadSeat() {
  try {
    const seat = JSON.parse(sessionStorage.getItem(SEAT_KEY));
    if (seat?.search === location.search && typeof seat.token === "string" && seat.token !== "") {
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
// Drawing the page from the state

// Screen readers hear moves and results here, not the status box, which is
// redrawn at every event. A result is heard after the move that made it.
function announce(page, text, { after = false } = {}) {
  const announcer = page.elements.announcer;
  announcer.textContent = after ? `${announcer.textContent} ${text}`.trim() : text;
}

function renderStatus(page) {
  const { elements, state } = page;
  const status = describeStatus(state, Date.now());
  elements.statusHeadline.textContent = status.headline;
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

function actionButton({ action, label }) {
  const button = document.createElement("button");
  button.type = "button";
  button.className = "status-action";
  button.dataset.action = action;
  button.textContent = label;
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
    ? [scoreSide(state.me, "You"), scoreSide(opponent(state.me), "Opponent")]
    : [scoreSide(state.host, "Host"), scoreSide(guestColour(state), "Guest")];
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
  const inviting = state.me === state.host && isGuestSeatFree(state, Date.now());
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

function render(page) {
  const { elements, state } = page;
  renderStatus(page);
  renderBoard(page);
  renderScore(elements.score, state);
  renderRematch(elements.rematch, state);
  elements.match.hidden = (elements.score.hidden && elements.rematch.hidden) || isLost(state);
  renderShare(page);
  // A lost game's only next step is the button over the board.
  elements.actions.hidden = isLost(state);
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

function showHint(page, text) {
  page.state.hint = text;
  announce(page, text);
  clearTimeout(page.hintTimer);
  page.hintTimer = setTimeout(() => {
    page.state.hint = null;
    render(page);
  }, HINT_MS);
  render(page);
}

// ---------------------------------------------------------------------------
// Sharing the links

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
async function copyLink(linkElement, button) {
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

// Phones offer their share sheet: messages, mail, nearby devices.
async function shareLink(page) {
  const inviting = page.elements.share.dataset.kind === "invite";
  try {
    await navigator.share({
      title: "Connect Four",
      text: inviting ? "Play Connect Four with me:" : "Watch our game of Connect Four:",
      url: page.elements.shareLink.textContent,
    });
  } catch {
    // The user closed the share sheet: nothing to say.
  }
}

// ---------------------------------------------------------------------------
// Events from the server, one handler per type

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

function keyOrNull(key) {
  return typeof key === "string" && key !== "" ? key : null;
}

// Whatever happens in the game, "is back" and hints were news only until then.
function gameMoved(state) {
  state.back = null;
  state.hint = null;
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
  state.moves += 1;
  state.rematchStarted = false;
  // Whoever moved was in the game, even if they left before we came.
  state.seen.add(event.player);
  gameMoved(state);
  announce(page, describeMove(event.player, event.column));
}

function onWin(page, event) {
  const { state } = page;
  state.winner = event.player;
  // The server counts too, and says so at the next reset.
  state.score[event.player] += 1;
  gameMoved(state);
  highlightWinningLine(page.elements.board, event.player);
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
  // An explanation of the situation before they came is out of date.
  state.hint = null;
  announce(page, `${capitalize(event.player)} ${back ? "is back" : "joined"}.`);
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
    announce(page, `${capitalize(event.player)} wants a rematch.`);
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
  Object.assign(state, { moves: 0, winner: null, draw: false, rematchAsked: false, rematchStarted: true });
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

function onError(page, event) {
  // A refused rematch request is no longer pending.
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
  error: onError,
};

// Events that are about one player, and mean nothing without a valid one.
const PLAYER_EVENTS = new Set(["win", "joined", "left", "rematch"]);

function handleEvent(page, event) {
  const handler = Object.hasOwn(EVENT_HANDLERS, event.type) ? EVENT_HANDLERS[event.type] : null;
  if (handler === null) {
    console.warn("Ignoring an event of unknown type:", event);
    return;
  }
  if (PLAYER_EVENTS.has(event.type) && !PLAYERS.includes(event.player)) {
    console.warn(`Ignoring a ${event.type} event without a player:`, event);
    return;
  }
  // A handler returns false when it ignored a malformed event.
  if (handler(page, event) !== false) {
    render(page);
  }
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
// The connection: one at a time, another whenever it drops, unless the
// server says that retrying is pointless.

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

function onOpen(page, socket) {
  const { state, query } = page;
  // The server replays the game from the start: forget what we knew.
  // The board stays until the server lets us back in: a game that is gone
  // shows its last position.
  Object.assign(state, createGame(query));
  const token = query.has("watch") && !query.has("join") ? null : loadSeat();
  state.resuming = token !== null;
  state.connection = "open";
  state.problem = null;
  socket.send(JSON.stringify(initMessage(query, token)));
  render(page);
}

function onMessage(page, socket, data) {
  const { state } = page;
  const event = parseEvent(data);
  state.heardFromServer = true;
  if (event === null) {
    return;
  }
  if (event.type === "error" && !state.inGame) {
    // The server refused our init; its reason shows once we closed.
    state.refusal = {
      message: keyOrNull(event.message) ?? "The server refused to open this game.",
      reason: event.reason,
    };
    socket.close(1000);
    return;
  }
  if (event.type !== "error" && !state.inGame) {
    clearBoard(page.elements.board);
  }
  if (event.type !== "error") {
    state.inGame = true;
    state.everInGame = true;
    page.failures = 0;
  }
  handleEvent(page, event);
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
    // The server was full before it even read our init.
    retryLater(page, "full");
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
    const lost = ["went-away", "lost", "full"].includes(page.state.problem);
    retryLater(page, lost ? page.state.problem : "unreachable");
  } else {
    retryLater(page, "lost");
  }
}

function connectNow(page) {
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

// Events of a connection that was replaced by a newer one are stale.
function listenToSocket(page, socket) {
  let wasOpen = false;
  socket.addEventListener("open", () => {
    if (socket === page.socket) {
      wasOpen = true;
      onOpen(page, socket);
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

// ---------------------------------------------------------------------------
// What the user does

function send(page, event) {
  if (page.socket === null || page.socket.readyState !== WebSocket.OPEN) {
    return false;
  }
  page.socket.send(JSON.stringify(event));
  return true;
}

// A move that can't be played explains itself at once; any other goes to
// the server, which judges it and explains a refusal.
function playColumn(page, column) {
  const { elements, state } = page;
  const hint = explainRefusedMove(state, isColumnFull(elements.board, column));
  if (hint !== null) {
    showHint(page, hint);
  } else if (isPlayer(state.me)) {
    send(page, { type: "play", column });
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

function hasModifier(event) {
  return event.altKey || event.ctrlKey || event.metaKey;
}

function isTypingInto(target) {
  return (
    target instanceof HTMLElement &&
    (target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName))
  );
}

// Inside the board, arrows, Home and End choose a column; Enter or Space plays.
function onBoardKey(page, event) {
  const column = columnOf(event.target);
  if (column === null || hasModifier(event)) {
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

function listenToUser(page) {
  const { elements } = page;
  listenToBoard(page);
  elements.copyButton.addEventListener("click", () => copyLink(elements.shareLink, elements.copyButton));
  elements.sendButton.addEventListener("click", () => shareLink(page));
  elements.rematch.addEventListener("click", () => requestRematch(page));
  // The status box's button is redrawn with it, so listen above it.
  elements.status.addEventListener("click", (event) => {
    if (event.target instanceof Element && event.target.closest("button[data-action]") !== null) {
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
    share: find(".share"),
    shareTitle: find(".share h2"),
    shareLink: find(".share-link"),
    shareNote: find(".share-note"),
    copyButton: find(".share button.copy"),
    sendButton: find(".share button.send"),
    actions: find(".actions"),
    newGameLink: find(".actions a.new"),
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
  connectNow(page);
}

main();
