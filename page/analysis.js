// The analysis of a finished game, in words: what each move was worth, and
// which moves changed the result. The server sends, for the position after
// each number of moves, the exact score of each of the 7 moves, following
// Pascal Pons's convention, from the view of the player making the move.

// Scores count the checkers a player still drops up to its win: 22 of them
// each is the whole board, 42 cells.
const CHECKERS_EACH = 22;

// The analysis event, checked: { columns, scores } or null if malformed.
export function readAnalysis(event) {
  const { columns, scores } = event;
  const isScore = (score) => score === null || Number.isInteger(score);
  const valid =
    Array.isArray(columns) &&
    columns.every((column) => Number.isInteger(column) && column >= 0 && column < 7) &&
    Array.isArray(scores) &&
    scores.length === columns.length + 1 &&
    scores.every((row) => Array.isArray(row) && row.length === 7 && row.every(isScore));
  return valid ? { columns, scores } : null;
}

// The scores of a hints event, checked: 7 scores or nulls, or null if malformed.
export function readHints(event) {
  const { scores } = event;
  const valid =
    Array.isArray(scores) && scores.length === 7 && scores.every((score) => score === null || Number.isInteger(score));
  return valid ? scores : null;
}

// A player's own count of moves: the game's moves 0 and 1 are each player's 1st.
export function ownMoveNumber(step) {
  return Math.floor(step / 2) + 1;
}

export function ordinal(number) {
  const tens = number % 100;
  if (tens >= 11 && tens <= 13) {
    return `${number}th`;
  }
  return `${number}${{ 1: "st", 2: "nd", 3: "rd" }[number % 10] ?? "th"}`;
}

// What a move leads to, from the view of its player, with `checkers` on the
// board before it: { result: "win" | "draw" | "loss" | "—", count }. count is
// how many checkers the winner still drops, the winning one included.
export function moveValue(score, checkers) {
  if (score === null) {
    return { result: "—", count: null };
  }
  if (score > 0) {
    return { result: "win", count: CHECKERS_EACH - score - Math.floor(checkers / 2) };
  }
  if (score < 0) {
    return { result: "loss", count: CHECKERS_EACH + score - Math.floor((checkers + 1) / 2) };
  }
  return { result: "draw", count: null };
}

// "win in 3", "draw", "loss in 5", or "—" for a full column.
export function describeValue({ result, count }) {
  return count === null ? result : `${result} in ${count}`;
}

function bestScore(scores) {
  const known = scores.filter((score) => score !== null);
  return known.length === 0 ? null : Math.max(...known);
}

// The columns whose moves are worth the best score of the position.
export function bestColumns(scores) {
  const best = bestScore(scores);
  return best === null ? [] : scores.flatMap((score, column) => (score === best ? [column] : []));
}

// What the move played at this step threw away, "win" or "draw", or null if
// its result has the sign of the best one's.
export function resultThrownAway(analysis, step) {
  const scores = analysis.scores[step];
  const played = scores[analysis.columns[step]];
  const best = bestScore(scores);
  if (played === null || best === null) {
    return null;
  }
  if (best > 0 && played <= 0) {
    return "win";
  }
  return best === 0 && played < 0 ? "draw" : null;
}

// The steps whose moves changed the result, with what they threw away.
export function turningPoints(analysis) {
  return analysis.columns.flatMap((_, step) => {
    const lost = resultThrownAway(analysis, step);
    return lost === null ? [] : [{ step, lost }];
  });
}
