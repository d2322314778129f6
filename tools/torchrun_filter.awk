# Shortens torchrun's stderr for tools/dist_train.sh and tools/dist_test.sh.
#
# Each rank of the tools ends a failure with its own one-line `error: ...`.
# torchrun then logs that it stops the other ranks and raises
# ChildFailedError with a traceback of its own and a boxed summary. This
# filter drops torchrun's elastic log lines and that traceback and summary;
# when no rank printed an `error:` line (e.g. a rank was killed), the summary
# becomes one `error:` line naming the failed rank and its exit code. Every
# other line (the ranks' logs, their tracebacks) passes unchanged.
# FCN_DEBUG=1 makes the launch scripts skip this filter.

function flush_held(    i) {
    for (i = 1; i <= held; i++) print hold[i]
    held = 0
}

# torchrun's own log lines: "W1201 04:25:08.734000 2539 .../torch/
# distributed/elastic/...] Sending process 2546 closing signal SIGTERM"
/^[IWE][0-9][0-9][0-9][0-9] [0-9:.]+ +[0-9]+ .*torch\/distributed\/elastic\// {
    next
}

summary {
    if ($0 ~ /^ *rank *:/) rank = $3
    if ($0 ~ /^ *exitcode *:/) code = "exit code " $3
    if ($0 ~ /^ *traceback *: *Signal/) {
        code = $0
        sub(/^ *traceback *: */, "", code)
    }
    if ($0 ~ / FAILED$/) script = $1
    if ($0 ~ /^Root Cause/) { rank = "?"; code = "?" }
    if ($0 ~ /^=+$/ && ++bars == 2) {
        summary = 0
        if (!errors)
            printf "error: %s failed on rank %s (%s) without a message; " \
                "set FCN_DEBUG=1 to see the traceback\n", script, rank, code
    }
    next
}

held {
    hold[++held] = $0
    if ($0 ~ /^[^ ]/) {  # the exception line ends the traceback
        if ($0 ~ /^torch\.distributed\.elastic\.multiprocessing\.errors\.ChildFailedError/) {
            held = 0
            summary = 1
            bars = 0
            rank = "?"
            code = "?"
        } else {
            flush_held()
        }
    }
    next
}

/^Traceback \(most recent call last\):$/ {
    hold[++held] = $0
    next
}

/^error: / { errors++ }

{ print }

END { flush_held() }
