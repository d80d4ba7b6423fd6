"""The websocket gateway: HELLO, IDENTIFY, READY, GUILD_CREATE, heartbeats and dispatches."""

from __future__ import annotations

import asyncio
import json
import secrets
import time
import zlib
from collections.abc import Callable

from aiohttp import WSMsgType, web

from .models import JSON
from .state import APPLICATION_FLAGS, EmulatorState

HEARTBEAT_INTERVAL_MS = 41_250
# Gateway intents the emulator filters dispatches by.
GUILDS = 1 << 0
GUILD_MEMBERS = 1 << 1
GUILD_MESSAGES = 1 << 9
DIRECT_MESSAGES = 1 << 12


class GatewayClosed(Exception):
    """Raised inside a session to close it with a gateway close code."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(f"{code} {reason}")
        self.code, self.reason = code, reason


Compressor = Callable[[bytes], bytes]


def stream_compressor(kind: str | None) -> Compressor | None:
    """One compression stream per connection, flushed at the end of every frame."""
    if kind is None:
        return None
    if kind == "zlib-stream":
        deflate = zlib.compressobj()
        return lambda data: deflate.compress(data) + deflate.flush(zlib.Z_SYNC_FLUSH)
    if kind == "zstd-stream":  # discord.py asks for it only when it could import one of these
        try:
            import zstandard
        except ImportError:
            from compression import zstd

            compressor = zstd.ZstdCompressor()
            return lambda data: compressor.compress(data, mode=zstd.ZstdCompressor.FLUSH_BLOCK)
        stream = zstandard.ZstdCompressor().compressobj()
        return lambda data: stream.compress(data) + stream.flush(zstandard.COMPRESSOBJ_FLUSH_BLOCK)
    raise GatewayClosed(4002, f"Unknown compression {kind!r}")


class GatewaySession:
    def __init__(self, ws: web.WebSocketResponse) -> None:
        self.ws = ws
        self.compress: Compressor | None = None
        self._lock = asyncio.Lock()
        self.seq = 0
        self.session_id = secrets.token_hex(16)
        self.shard: tuple[int, int] = (0, 1)
        self.intents = 0
        self.identified = False
        self.ready_at: float | None = None
        self.closed = False

    def covers(self, guild_id: int | None) -> bool:
        """Whether Discord would route this guild's events (DMs: shard 0) to this session."""
        if not self.identified or self.closed:
            return False
        shard_id, shard_count = self.shard
        return (0 if guild_id is None else (guild_id >> 22) % shard_count) == shard_id

    async def send(self, op: int, data: object = None, event: str | None = None) -> None:
        async with self._lock:  # keeps frames, sequence numbers and the zlib stream in order
            if self.ws.closed:
                return
            payload: JSON = {"op": op, "d": data}
            if op == 0:
                self.seq += 1
                payload.update(t=event, s=self.seq)
            text = json.dumps(payload)
            if self.compress is None:
                await self.ws.send_str(text)
            else:
                await self.ws.send_bytes(self.compress(text.encode()))

    async def dispatch(self, event: str, data: JSON) -> None:
        await self.send(0, data, event)


class Gateway:
    def __init__(self, state: EmulatorState) -> None:
        self.state = state
        self.sessions: list[GatewaySession] = []

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(max_msg_size=0, compress=False)
        await ws.prepare(request)
        query = request.query
        session = GatewaySession(ws)
        self.sessions.append(session)
        try:
            self._check_query(query.get("v"), query.get("encoding"))
            session.compress = stream_compressor(query.get("compress"))
            await session.send(10, {"heartbeat_interval": HEARTBEAT_INTERVAL_MS})
            async for message in ws:
                if message.type is not WSMsgType.TEXT:
                    raise GatewayClosed(4002, "Decode error: only JSON text frames are accepted")
                await self._receive(session, message.data)
        except GatewayClosed as closed:
            self.state.record_violation("GATEWAY", closed.code, closed.reason)
            await ws.close(code=closed.code, message=closed.reason.encode()[:120])
        finally:
            session.closed = True
            self.sessions.remove(session)
            self.state.notify()
        return ws

    @staticmethod
    def _check_query(version: str | None, encoding: str | None) -> None:
        if version != "10":
            raise GatewayClosed(4012, f"Invalid API version {version!r}")
        if encoding not in (None, "json"):
            raise GatewayClosed(4002, f"Unsupported encoding {encoding!r}")

    async def _receive(self, session: GatewaySession, text: str) -> None:
        try:
            payload = json.loads(text)
            op, data = payload["op"], payload.get("d")
        except (ValueError, KeyError, TypeError):
            raise GatewayClosed(4002, "Decode error") from None
        if op == 1:
            await session.send(11)
        elif op == 2:
            await self._identify(session, data or {})
        elif op == 6:  # RESUME: sessions are not kept, so the client must IDENTIFY again
            await session.send(9, False)
        elif op == 8:
            await self._request_members(session, data or {})
        elif op not in (3, 4):  # presence and voice state updates are accepted and ignored
            raise GatewayClosed(4001, f"Unknown opcode {op}")

    async def _identify(self, session: GatewaySession, data: JSON) -> None:
        state = self.state
        if session.identified:
            raise GatewayClosed(4005, "Already authenticated")
        if data.get("token") != state.token:
            raise GatewayClosed(4004, "Authentication failed")
        if not isinstance(data.get("intents"), int):
            raise GatewayClosed(4013, "Invalid intent(s)")
        shard_id, shard_count = data.get("shard") or (0, 1)
        if not 0 <= shard_id < shard_count:
            raise GatewayClosed(4010, f"Invalid shard {[shard_id, shard_count]}")
        session.shard, session.intents, session.identified = (
            (shard_id, shard_count),
            data["intents"],
            True,
        )
        guilds = [g for g in state.guilds.values() if session.covers(g.id)]
        await session.dispatch(
            "READY",
            {
                "v": 10,
                "user": {**state.bot_user.payload(), "verified": True, "mfa_enabled": False},
                "guilds": [{"id": str(g.id), "unavailable": True} for g in guilds],
                "session_id": session.session_id,
                "session_type": "normal",
                "resume_gateway_url": state.gateway_url,
                "shard": [shard_id, shard_count],
                "application": {"id": str(state.application_id), "flags": APPLICATION_FLAGS},
                "private_channels": [],
                "relationships": [],
                "presences": [],
                "geo_ordered_rtc_regions": [],
                "_trace": ["discord-emulator"],
            },
        )
        for guild in guilds:
            await session.dispatch("GUILD_CREATE", state.guild_payload(guild))
        session.ready_at = time.monotonic()
        state.notify()

    async def _request_members(self, session: GatewaySession, data: JSON) -> None:
        guild_ids = data.get("guild_id")
        for guild_id in guild_ids if isinstance(guild_ids, list) else [guild_ids]:
            guild = self.state.guilds.get(int(guild_id or 0))
            if guild is None:
                continue
            await session.dispatch(
                "GUILD_MEMBERS_CHUNK",
                {
                    "guild_id": str(guild.id),
                    "members": [m.payload() for m in guild.members.values()],
                    "chunk_index": 0,
                    "chunk_count": 1,
                    "nonce": data.get("nonce"),
                    "not_found": [],
                },
            )

    # ------------------------------------------------------------ for REST and the test API

    def sessions_for(self, guild_id: int | None) -> list[GatewaySession]:
        return [s for s in self.sessions if s.covers(guild_id)]

    async def dispatch(
        self, guild_id: int | None, event: str, data: JSON, intent: int | None = None
    ) -> None:
        """Sends an event to every session that covers the guild (and has the intent)."""
        for session in self.sessions_for(guild_id):
            if intent is None or session.intents & intent:
                await session.dispatch(event, data)

    def ready_sessions(self, since: float | None) -> int:
        return sum(
            1
            for s in self.sessions
            if not s.closed and s.ready_at is not None and (since is None or s.ready_at >= since)
        )

    async def close_all(self, code: int) -> None:
        for session in list(self.sessions):
            session.closed = True
            await session.ws.close(code=code, message=b"closed by the emulator")
