import { DurableAgentError } from "../errors.js";

/**
 * Input handed to the history layer was malformed: events out of `eventIndex` order, or
 * replay caps that are not usable numbers. Nothing was built.
 */
export class HistoryInputError extends DurableAgentError {
  constructor(message: string) {
    super("history.invalid_input", message);
  }
}
