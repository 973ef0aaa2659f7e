// Drawing the Connect Four board. This module knows nothing about the network,
// whose turn it is or the rules: it only turns moves into checkers on the
// page, and marks the cells and columns it is told to (page/rules.js finds
// them from the moves).

export const PLAYER1 = "red";
export const PLAYER2 = "yellow";
export const COLUMNS = 7;
export const ROWS = 6;

const CELL_STATES = ["empty", PLAYER1, PLAYER2];

// The board is one Tab stop: the column that has tabindex 0 is the one Tab
// lands on, and arrow keys move it (a "roving tabindex"). It starts in the
// middle, the usual first move, at most three presses from any column.
const FIRST_FOCUSED_COLUMN = 3;

// Fill boardElement with seven columns of six empty cells. Within a column
// the top cell comes first, so that the DOM reads like the picture; row 0 is
// the bottom row, as in the game engine.
export function createBoard(boardElement) {
  boardElement.replaceChildren();
  for (let column = 0; column < COLUMNS; column++) {
    const columnElement = document.createElement("div");
    columnElement.className = "column";
    columnElement.dataset.column = String(column);
    columnElement.tabIndex = column === FIRST_FOCUSED_COLUMN ? 0 : -1;
    columnElement.setAttribute("role", "button");
    for (let row = ROWS - 1; row >= 0; row--) {
      const cellElement = document.createElement("div");
      cellElement.className = "cell empty";
      cellElement.dataset.row = String(row);
      columnElement.append(cellElement);
    }
    boardElement.append(columnElement);
    updateColumnLabel(boardElement, column);
  }
}

function columnElementAt(boardElement, column) {
  return boardElement.querySelector(`.column[data-column="${column}"]`);
}

function cellElementAt(boardElement, column, row) {
  const columnElement = columnElementAt(boardElement, column);
  if (columnElement === null || row < 0 || row >= ROWS) {
    return null;
  }
  return columnElement.children[ROWS - 1 - row];
}

function setCellState(cellElement, state) {
  cellElement.classList.remove(...CELL_STATES);
  cellElement.classList.add(state);
}

// Make column, clamped to the board, the board's only Tab stop.
export function setTabStop(boardElement, column) {
  const target = Math.min(Math.max(column, 0), COLUMNS - 1);
  for (const columnElement of boardElement.querySelectorAll(".column")) {
    columnElement.tabIndex = Number(columnElement.dataset.column) === target ? 0 : -1;
  }
  return columnElementAt(boardElement, target);
}

export function focusColumn(boardElement, column) {
  setTabStop(boardElement, column).focus();
}

// Put a checker of player's at (column, row). The checker falls from above
// the column: --fall tells the CSS animation how many cells it crosses.
export function playMove(boardElement, player, column, row) {
  if (player !== PLAYER1 && player !== PLAYER2) {
    throw new Error(`${player} isn't a player.`);
  }
  const cellElement = cellElementAt(boardElement, column, row);
  if (cellElement === null) {
    throw new Error(`There is no cell at column ${column}, row ${row}.`);
  }
  for (const previous of boardElement.querySelectorAll(".cell.last")) {
    previous.classList.remove("last");
  }
  cellElement.style.setProperty("--fall", String(ROWS - row));
  setCellState(cellElement, player);
  cellElement.classList.add("last");
  updateColumnLabel(boardElement, column);
}

// The checkers drawn in a column, from the bottom up.
function checkersIn(boardElement, column) {
  const cells = Array.from(columnElementAt(boardElement, column).children).reverse();
  const owners = cells.map((cellElement) => CELL_STATES.find((state) => cellElement.classList.contains(state)));
  return owners.filter((owner) => owner !== "empty");
}

// Screen reader users can't see the board, so each column says what is drawn
// in it, bottom first, as a checker lands: "Column 4: red, yellow; 4 free".
function updateColumnLabel(boardElement, column) {
  const checkers = checkersIn(boardElement, column);
  const free = ROWS - checkers.length;
  let label = `Column ${column + 1}: empty`;
  if (checkers.length > 0) {
    label = `Column ${column + 1}: ${checkers.join(", ")}; ${free === 0 ? "full" : `${free} free`}`;
  }
  columnElementAt(boardElement, column).setAttribute("aria-label", label);
}

export function clearBoard(boardElement) {
  for (const cellElement of boardElement.querySelectorAll(".cell")) {
    setCellState(cellElement, "empty");
    cellElement.classList.remove("last", "winning", "placed", "next");
    delete cellElement.dataset.next;
    cellElement.style.removeProperty("--fall");
  }
  markBestColumns(boardElement, []);
  for (let column = 0; column < COLUMNS; column++) {
    updateColumnLabel(boardElement, column);
  }
}

// Show a position, its moves given as { player, column, row }, all at once:
// redrawing a game isn't playing it, so no checker falls.
export function showPosition(boardElement, moves) {
  clearBoard(boardElement);
  for (const { player, column, row } of moves) {
    playMove(boardElement, player, column, row);
    cellElementAt(boardElement, column, row).classList.add("placed");
  }
}

// An analysis points at the best moves of the position shown.
export function markBestColumns(boardElement, columns) {
  for (const columnElement of boardElement.querySelectorAll(".column")) {
    columnElement.classList.toggle("best", columns.includes(Number(columnElement.dataset.column)));
  }
}

// ...and shows, faintly, where the move played from it landed, in the colour
// of its player: move is { player, column, row }, or null for no move.
export function markNextMove(boardElement, move) {
  for (const previous of boardElement.querySelectorAll(".cell.next")) {
    previous.classList.remove("next");
    delete previous.dataset.next;
  }
  const cellElement = move === null ? null : cellElementAt(boardElement, move.column, move.row);
  if (cellElement !== null) {
    cellElement.classList.add("next");
    cellElement.dataset.next = move.player;
  }
}

// Point at the four in a row, given as [column, row] pairs.
export function highlightWinningLine(boardElement, line) {
  for (const [column, row] of line) {
    cellElementAt(boardElement, column, row).classList.add("winning");
  }
}
