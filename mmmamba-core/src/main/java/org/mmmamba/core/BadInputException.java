package org.mmmamba.core;

/**
 * A problem with what the user gave us (a file, a config key, a tensor, a token id), as opposed to
 * a bug.
 *
 * <p>The message is one line and names the file, key or tensor at fault. The CLI prints it and
 * exits with code 2; library callers can catch it to tell bad input from internal errors.
 */
public class BadInputException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public BadInputException(String message) {
    super(message);
  }

  public BadInputException(String message, Throwable cause) {
    super(message, cause);
  }
}
