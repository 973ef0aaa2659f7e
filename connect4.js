// Drawing the Connect Four board. This module knows nothing about the network
// or whose turn it is: it only turns moves into checkers on the page.

export const PLAYER1 = "red";
export const PLAYER2 = "yellow";
export const COLUMNS = 7;
export const ROWS = 6;

const CELL_STATES = ["empty", PLAYER1, PLAYER2];

// Fill boardElement with seven focusable columns of six empty cells. Within a
// column the top cell comes first, so that the DOM reads like the picture;
// row 0 is the bottom row, as in the game engine.
export function createBoard(boardElement) {
  boardElement.replaceChildren();
  for (let column = 0; column < COLUMNS; column++) {
    const columnElement = document.createElement("div");
    columnElement.className = "column";
    columnElement.dataset.column = String(column);
    columnElement.tabIndex = 0;
    columnElement.setAttribute("role", "button");
    columnElement.setAttribute("aria-label", `Column ${column + 1}`);
    for (let row = ROWS - 1; row >= 0; row--) {
      const cellElement = document.createElement("div");
      cellElement.className = "cell empty";
      cellElement.dataset.row = String(row);
      columnElement.append(cellElement);
    }
    boardElement.append(columnElement);
  }
}

export function columnElementAt(boardElement, column) {
  return boardElement.querySelector(`.column[data-column="${column}"]`);
}

export function cellElementAt(boardElement, column, row) {
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

// Screen reader users can't see how full a column is, so say it in its label.
function updateColumnLabel(boardElement, column) {
  const columnElement = columnElementAt(boardElement, column);
  const used = columnElement.querySelectorAll(".cell:not(.empty)").length;
  const label = `Column ${column + 1}`;
  columnElement.setAttribute(
    "aria-label",
    used === ROWS ? `${label}, full` : label,
  );
}

export function clearBoard(boardElement) {
  for (const cellElement of boardElement.querySelectorAll(".cell")) {
    setCellState(cellElement, "empty");
    cellElement.classList.remove("last", "winning");
    cellElement.style.removeProperty("--fall");
  }
  for (let column = 0; column < COLUMNS; column++) {
    updateColumnLabel(boardElement, column);
  }
}

function cellOwner(boardElement, column, row) {
  const cellElement = cellElementAt(boardElement, column, row);
  if (cellElement === null) {
    return null;
  }
  return CELL_STATES.find((state) => cellElement.classList.contains(state));
}

// The server only says who won, not where; finding the four again lets the
// page point at them. Returns the first line found, as [column, row] pairs.
export function findWinningLine(boardElement, player) {
  const directions = [[1, 0], [0, 1], [1, 1], [1, -1]];
  for (let column = 0; column < COLUMNS; column++) {
    for (let row = 0; row < ROWS; row++) {
      for (const [dc, dr] of directions) {
        const line = [0, 1, 2, 3].map((step) => [column + step * dc, row + step * dr]);
        if (line.every(([c, r]) => cellOwner(boardElement, c, r) === player)) {
          return line;
        }
      }
    }
  }
  return [];
}

export function highlightWinningLine(boardElement, player) {
  for (const [column, row] of findWinningLine(boardElement, player)) {
    cellElementAt(boardElement, column, row).classList.add("winning");
  }
}
