"""Check the README's MCP client configurations against a running server (not a test: it needs
Node's npx and the npm registry, or the packages in npx's cache).

    .venv/bin/python scripts/mcp_clients.py --url http://127.0.0.1:8000/mcp --token "$TOKEN"

1. The MCP Inspector's CLI mode (`npx @modelcontextprotocol/inspector --cli`), as the README
   gives it: tools/list, then get_quota.
2. The Claude Desktop entry (mcp-remote, a stdio bridge to streamable HTTP): the same
   `claude_desktop_config.json` entry, run the way Claude Desktop runs it (the command, its
   arguments and environment, spoken to over stdio), here by the Python SDK's stdio client.

Prints what each answered; exits 1 if either failed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys

from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

INSPECTOR = "@modelcontextprotocol/inspector@2.12.0"
MCP_REMOTE = "mcp-remote@0.15.1"


def desktop_entry(url: str, token: str) -> dict:
    """The README's claude_desktop_config.json entry for this server."""
    return {
        "command": "npx",
        "args": ["-y", MCP_REMOTE, url, "--header", "Authorization:${AUTH_HEADER}"],
        "env": {"AUTH_HEADER": f"Bearer {token}"},
    }


def inspector(url: str, token: str, *method: str) -> dict:
    command = ["npx", "-y", INSPECTOR, "--cli", url, "--transport", "http"]
    command += ["--header", f"Authorization: Bearer {token}", "--method", *method]
    done = subprocess.run(command, capture_output=True, text=True, timeout=180, check=True)
    return json.loads(done.stdout)


async def desktop(url: str, token: str) -> tuple[str, list[str], str]:
    entry = desktop_entry(url, token)
    params = StdioServerParameters(
        command=entry["command"], args=entry["args"], env={**os.environ, **entry["env"]}
    )
    with open(os.devnull, "w") as quiet:  # mcp-remote logs to stderr
        async with stdio_client(params, errlog=quiet) as (read, write):
            async with ClientSession(read, write) as session:
                started = await session.initialize()
                tools = await session.list_tools()
                quota = await session.call_tool("get_quota", {})
    return started.protocol_version, [tool.name for tool in tools.tools], quota.content[0].text


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000/mcp")
    parser.add_argument("--token", default=os.environ.get("STUDIO_TOKEN", ""), help="an API token (ms_…)")
    args = parser.parse_args()
    if not args.token:
        parser.error("give --token or STUDIO_TOKEN (manage.py create_api_token USERNAME)")
    failed = False
    try:
        listed = inspector(args.url, args.token, "tools/list")
        quota = inspector(args.url, args.token, "tools/call", "--tool-name", "get_quota")
        print("inspector --cli:", [tool["name"] for tool in listed["tools"]])
        print("  get_quota:", quota["content"][0]["text"].splitlines()[0])
    except (subprocess.SubprocessError, json.JSONDecodeError, KeyError) as e:
        print("inspector --cli failed:", e, file=sys.stderr)
        failed = True
    try:
        version, names, first = asyncio.run(desktop(args.url, args.token))
        print(f"Claude Desktop entry (mcp-remote, protocol {version}):", names)
        print("  get_quota:", first.splitlines()[0])
    except Exception as e:  # noqa: BLE001 - a report, whatever went wrong
        print("Claude Desktop entry (mcp-remote) failed:", repr(e), file=sys.stderr)
        failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
