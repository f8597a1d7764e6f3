from avili.cli import app

if __name__ == "__main__":  # pragma: no cover
    app(prog_name="avili")
