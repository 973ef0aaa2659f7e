// Games against the computer. The page's address asks for one,
// ?computer=LEVEL&player=COLOUR, so that starting one is following a plain
// link; the controls beside "New game" choose what that link says. "Play
// from here", in the analysis, shows the same controls, and its link adds
// &moves=4453: the moves that lead to the position shown, in Pascal Pons's
// notation (columns 1 to 7), as `python -m solver` takes them.

// The init that asks the server for a game against the computer, or null
// when the page's address doesn't ask for one. The server checks the level
// and the colour, and explains a refusal.
export function computerGameInit(query) {
  if (!query.has("computer")) {
    return null;
  }
  const init = { type: "init", computer: query.get("computer") };
  for (const name of ["player", "moves"]) {
    if (query.has(name)) {
      init[name] = query.get(name);
    }
  }
  return init;
}

// Columns 0 to 6 in Pons's notation: "4453".
export function movesNotation(columns) {
  return columns.map((column) => column + 1).join("");
}

// Once seated, the page comes back to its seat with its token, as in any
// game: an address that still asked for a computer game would start another
// one at every reload.
export function settleAddress(page) {
  if (!page.query.has("computer")) {
    return;
  }
  const url = new URL(location.href);
  url.search = "";
  history.replaceState(history.state, "", url);
  page.query = new URLSearchParams();
}

function chosen(panel, name) {
  return panel.querySelector(`input[name="${name}"]:checked`).value;
}

// The start link always holds the chosen level and colour, and the moves to
// play from, if any, so that it stays a plain link: it opens in a new tab
// too, and a click gives a fresh page.
function updateStartLink(elements) {
  const query = new URLSearchParams({
    computer: chosen(elements.computerOptions, "level"),
    player: chosen(elements.computerOptions, "colour"),
  });
  const moves = elements.computerOptions.dataset.moves ?? "";
  if (moves !== "") {
    query.set("moves", moves);
  }
  elements.computerStart.href = `./?${query}`;
}

// The options live under the page's actions; "Play from here" shows them
// under itself, in the analysis, for the position after these columns, or
// puts them back, closed, when columns is null.
export function offerFromPosition(elements, columns) {
  const options = elements.computerOptions;
  const home = columns === null ? elements.actions : elements.analysis;
  if (options.parentElement !== home) {
    home.append(options);
    elements.computerToggle.setAttribute("aria-expanded", "false");
  }
  options.hidden = columns === null && elements.computerToggle.getAttribute("aria-expanded") !== "true";
  const moves = columns === null ? "" : movesNotation(columns);
  if (options.dataset.moves !== moves) {
    options.dataset.moves = moves;
    updateStartLink(elements);
  }
}

// "Play the computer" shows its options under the page's actions, and hides them.
function toggleOptions(elements) {
  const open = elements.computerToggle.getAttribute("aria-expanded") !== "true";
  elements.computerToggle.setAttribute("aria-expanded", String(open));
  elements.computerOptions.hidden = !open;
}

export function listenToComputerChoice(elements) {
  elements.computerToggle.addEventListener("click", () => toggleOptions(elements));
  elements.computerOptions.addEventListener("change", () => updateStartLink(elements));
  updateStartLink(elements);
}
