// The rules the page needs, worked out from the columns played alone: where
// each checker lands, which columns are full, and where the four in a row
// are. The server judges every move; the page only asks these questions so
// that it can explain a refusal at once and point at the winning line, which
// the server's win event doesn't describe.

import { COLUMNS, PLAYER1, PLAYER2, ROWS } from "../connect4.js";

// Red moves first, then the players alternate.
export function playerOfMove(index) {
  return index % 2 === 0 ? PLAYER1 : PLAYER2;
}

// The row where a checker dropped in column lands now: one above the others.
export function landingRow(columns, column) {
  return columns.filter((played) => played === column).length;
}

export function isColumnFull(columns, column) {
  return landingRow(columns, column) >= ROWS;
}

// The moves in order, each as { player, column, row }.
export function placeMoves(columns) {
  const heights = new Array(COLUMNS).fill(0);
  return columns.map((column, index) => ({ player: playerOfMove(index), column, row: heights[column]++ }));
}

// Each cell's player, or undefined, as grid[column][row].
function gridOf(columns) {
  const grid = Array.from({ length: COLUMNS }, () => []);
  for (const { player, column, row } of placeMoves(columns)) {
    grid[column][row] = player;
  }
  return grid;
}

// The first four of player's in a row, scanning columns from the left and
// rows from the bottom, as [column, row] pairs; [] if there is none.
export function winningLine(columns, player) {
  const grid = gridOf(columns);
  const directions = [[1, 0], [0, 1], [1, 1], [1, -1]];
  for (let column = 0; column < COLUMNS; column++) {
    for (let row = 0; row < ROWS; row++) {
      for (const [dc, dr] of directions) {
        const line = [0, 1, 2, 3].map((step) => [column + step * dc, row + step * dr]);
        if (line.every(([c, r]) => grid[c]?.[r] === player)) {
          return line;
        }
      }
    }
  }
  return [];
}
