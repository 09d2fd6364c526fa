"""Start the resolution-qa web chat: python app.py [--host H] [--port P] [--data DIR] [--index DIR]."""

from resolution_qa.web import main

if __name__ == "__main__":
    raise SystemExit(main())
