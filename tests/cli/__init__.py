

def run_main(capsys, ws, *args: str) -> tuple[int, str, str]:
    """``glamlab -w WS ARGS`` through the real entry point (exit codes as a shell sees
    them): (exit code, stdout, stderr)."""
    import pytest

    from glamlab.cli import main

    with pytest.raises(SystemExit) as exc:
        main(["-w", str(ws.root), *args])
        raise SystemExit(0)
    out = capsys.readouterr()
    return int(exc.value.code or 0), out.out, out.err
