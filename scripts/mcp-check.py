#!/usr/bin/env python3
"""Drives sensor-ingest's MCP server with the Python MCP SDK (PyPI `mcp`, software nobody here
wrote), as a coding agent would: initialize, list the tools, call each one asked for.

    scripts/mcp-check.py http URL TOKEN CALLS        # Streamable HTTP at URL (…/mcp), Bearer TOKEN
    scripts/mcp-check.py stdio CALLS -- COMMAND ...  # the server started as COMMAND over stdio

CALLS is a JSON list of [tool, arguments]. Prints one JSON document: the tool names listed and,
per call, whether it was an error, its text and its structured content.
Needs the PyPI package mcp (scripts/python-tools.sh).
"""
import asyncio
import json
import sys

from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import create_mcp_http_client, streamable_http_client


async def drive(read, write, calls):
    async with ClientSession(read, write) as session:
        await session.initialize()
        tools = await session.list_tools()
        results = []
        for name, arguments in calls:
            result = await session.call_tool(name, arguments)
            text = "".join(getattr(part, "text", "") for part in result.content)
            results.append({"tool": name, "is_error": bool(result.is_error), "text": text, "structured": result.structured_content})
        return {"tools": sorted(tool.name for tool in tools.tools), "results": results}


async def main():
    mode = sys.argv[1]
    if mode == "http":
        url, token, calls = sys.argv[2], sys.argv[3], json.loads(sys.argv[4])
        async with create_mcp_http_client(headers={"Authorization": f"Bearer {token}"}) as http:
            async with streamable_http_client(url, http_client=http) as (read, write, *_):
                answer = await drive(read, write, calls)
    else:
        calls = json.loads(sys.argv[2])
        command = sys.argv[sys.argv.index("--") + 1:]
        async with stdio_client(StdioServerParameters(command=command[0], args=command[1:])) as (read, write):
            answer = await drive(read, write, calls)
    print(json.dumps(answer))


if __name__ == "__main__":
    asyncio.run(main())
