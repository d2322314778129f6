"""The tools' one-line error exit.

Every command-line tool in ``tools/`` runs its ``main`` through
:func:`run_tool`: a user mistake ends in one ``error: ...`` line on stderr
and a non-zero exit status, never a traceback (``FCN_DEBUG=1`` shows it).
The exceptions themselves come from the plugin (:mod:`fcn_plugin.errors`),
MMEngine, MMSeg or the tools.
"""
import os
import re
import sys
from typing import Any, Callable, Optional

#: Set to 1 to let :func:`run_tool` show the full traceback.
DEBUG_ENV = 'FCN_DEBUG'
#: How torch's ``ExceptionWrapper`` starts the traceback of an exception
#: raised in a DataLoader worker (``Caught ValueError in DataLoader worker
#: process 0.\nOriginal Traceback (most recent call last):\n...``).
_TRACEBACK_HEADER = 'Traceback (most recent call last):'
_EXCEPTION_NAME = re.compile(r'^[A-Za-z_][\w.]*(: |:$|$)')
#: MMEngine's message for a ``type`` that no registry holds.
_NOT_REGISTERED = re.compile(r'^(\S+) is not in the (\S+) registry\.')
#: A class built from a config with a key its ``__init__`` does not take.
_UNEXPECTED_KEY = re.compile(
    r"^(\w+)\.__init__\(\) got an unexpected keyword argument '\w+'$")


def _original_message(text: str) -> Optional[str]:
    """The message of the last exception in a formatted traceback.

    Args:
        text (str): A message that embeds a traceback, as torch's
            DataLoader re-raises a worker's exception.

    Returns:
        str | None: The text after ``Type:`` of the final exception line,
        or None if ``text`` embeds no traceback.
    """
    lines = text.splitlines()
    starts = [i for i, line in enumerate(lines) if line.endswith(
        _TRACEBACK_HEADER)]
    if not starts:
        return None
    tail = lines[starts[-1] + 1:]
    for i, line in enumerate(tail):
        if line and not line[0].isspace():
            first = _EXCEPTION_NAME.sub('', line, count=1) or line
            return '\n'.join([first] + tail[i + 1:])
    return None


def _syntax_error_file(err: SyntaxError) -> Optional[str]:
    """The file a ``SyntaxError`` is about.

    ``ast.parse`` of a file's text (as MMEngine's config reader does it)
    records no file name; the innermost frame holding an existing
    ``filename`` then names it.
    """
    if err.filename and not err.filename.startswith('<'):
        return err.filename
    found = None
    frame = err.__traceback__
    while frame is not None:
        name = frame.tb_frame.f_locals.get('filename')
        if isinstance(name, str) and os.path.isfile(name):
            found = name
        frame = frame.tb_next
    return found


def _with_hint(text: str) -> str:
    """MMEngine's messages for a misspelt config value, with what to do."""
    match = _NOT_REGISTERED.match(text)
    if match:
        return (f'{match[1]} is not in the {match[2]} registry: check the '
                'type name in the config or --cfg-options (a typo?), or add '
                'the module that registers it to custom_imports')
    match = _UNEXPECTED_KEY.match(text)
    if match:
        return (f'{text}: check the settings of {match[1]} in the config '
                'or --cfg-options (a misspelt key?)')
    return text


def error_message(err: BaseException) -> str:
    """One line saying what went wrong.

    The message of ``err`` with its lines joined; for an exception re-raised
    by a DataLoader from a worker process, the message of the original
    exception only. A ``KeyError`` (whose message is just the key) and an
    exception without a message are named by their type. A syntax error
    names its file and line; MMEngine's messages for an unknown ``type`` or
    config key say what to do.

    Args:
        err (BaseException): The exception.

    Returns:
        str: The single-line message.
    """
    if isinstance(err, SyntaxError):
        path = _syntax_error_file(err)
        if path is not None and path not in str(err.msg):
            line = f', line {err.lineno}' if err.lineno else ''
            return (f'{path}{line}: Python syntax error ({err.msg}); fix '
                    'the file')
    text = str(err)
    text = _original_message(text) or text
    if isinstance(err, KeyError) and len(err.args) == 1 and isinstance(
            err.args[0], str) and _NOT_REGISTERED.match(err.args[0]):
        text = err.args[0]
    elif isinstance(err, KeyError):  # the message is only the key's repr
        text = f'KeyError: {text}'
    message = _with_hint(' '.join(part.strip() for part in text.splitlines()
                                  if part.strip()))
    if not message:
        return type(err).__name__
    return message


def run_tool(main: Callable[[], Any]) -> None:
    """Run a tool's ``main`` with the one-line error exit.

    Any exception ends in one line ``error: <message>`` on stderr and exit
    status 1; Ctrl-C in ``error: interrupted`` and status 130. With
    ``FCN_DEBUG=1`` in the environment the exception is re-raised, which
    shows its traceback. ``SystemExit`` (e.g. argparse's usage errors)
    passes through unchanged, and a non-zero int returned by ``main`` is
    the exit status (other return values are ignored).

    Args:
        main (Callable[[], Any]): The tool's entry point.
    """
    debug = os.environ.get(DEBUG_ENV, '') not in ('', '0')
    try:
        status = main()
    except KeyboardInterrupt:
        if debug:
            raise
        print('error: interrupted', file=sys.stderr)
        sys.exit(130)
    except Exception as err:
        if debug:
            raise
        sys.stdout.flush()
        print(f'error: {error_message(err)}', file=sys.stderr)
        sys.exit(1)
    if isinstance(status, int) and status:
        sys.exit(status)
