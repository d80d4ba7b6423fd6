"""The aiohttp application: login, application, gateway, commands, guild/channel/user fetches."""

from __future__ import annotations

from aiohttp import web

from .gateway import Gateway
from .models import JSON, Guild
from .rest_common import API, json_response, make_middleware, read_json, snowflake
from .rest_interactions import InteractionRoutes
from .rest_messages import MessageRoutes
from .state import APPLICATION_FLAGS, ApiError, EmulatorState
from .validate import FormErrors
from .validate_commands import validate_commands

GATEWAY_ONLY_GUILD_KEYS = (
    "channels",
    "threads",
    "members",
    "presences",
    "voice_states",
    "joined_at",
    "large",
    "member_count",
    "unavailable",
    "stage_instances",
    "guild_scheduled_events",
    "soundboard_sounds",
)


def build_app(state: EmulatorState, gateway: Gateway) -> web.Application:
    app = web.Application(middlewares=[make_middleware(state)], client_max_size=64 * 1024 * 1024)
    app.router.add_get("/", gateway.handle)
    app.add_routes(CoreRoutes(state).routes())
    app.add_routes(MessageRoutes(state, gateway).routes())
    app.add_routes(InteractionRoutes(state, gateway).routes())
    return app


class CoreRoutes:
    def __init__(self, state: EmulatorState) -> None:
        self.state = state

    def routes(self) -> list[web.RouteDef]:
        commands = f"{API}/applications/{{app_id}}/commands"
        guild_commands = f"{API}/applications/{{app_id}}/guilds/{{guild_id}}/commands"
        return [
            web.get(f"{API}/users/@me", self.me),
            web.get(f"{API}/users/{{user_id}}", self.user),
            web.get(f"{API}/oauth2/applications/@me", self.application),
            web.get(f"{API}/gateway", self.gateway),
            web.get(f"{API}/gateway/bot", self.gateway_bot),
            web.get(commands, self.get_commands),
            web.put(commands, self.put_commands),
            web.get(f"{commands}/{{command_id}}", self.get_command),
            web.get(guild_commands, self.get_commands),
            web.put(guild_commands, self.put_commands),
            web.get(f"{guild_commands}/{{command_id}}", self.get_command),
            web.get(f"{API}/guilds/{{guild_id}}", self.guild),
            web.get(f"{API}/guilds/{{guild_id}}/channels", self.guild_channels),
            web.get(f"{API}/guilds/{{guild_id}}/roles", self.roles),
            web.get(f"{API}/guilds/{{guild_id}}/members/{{user_id}}", self.member),
            web.get(f"{API}/channels/{{channel_id}}", self.channel),
            web.get("/attachments/{channel_id}/{attachment_id}/{filename}", self.attachment),
        ]

    # ------------------------------------------------------------ identity and gateway

    async def me(self, request: web.Request) -> web.Response:
        return json_response(
            {**self.state.bot_user.payload(), "verified": True, "mfa_enabled": False}
        )

    async def user(self, request: web.Request) -> web.Response:
        user = self.state.users.get(snowflake(request, "user_id"))
        if user is None:
            raise ApiError(404, 10013, "Unknown User")
        return json_response(user.payload())

    async def application(self, request: web.Request) -> web.Response:
        state = self.state
        return json_response(
            {
                "id": str(state.application_id),
                "name": state.bot_user.name,
                "description": "",
                "icon": None,
                "bot_public": True,
                "bot_require_code_grant": False,
                "owner": state.app_owner.payload(),
                "team": None,
                "verify_key": "0" * 64,
                "flags": APPLICATION_FLAGS,
                "bot": state.bot_user.payload(),
                "summary": "",
                "interactions_endpoint_url": None,
            }
        )

    async def gateway(self, request: web.Request) -> web.Response:
        return json_response({"url": self.state.gateway_url.rstrip("/")})

    async def gateway_bot(self, request: web.Request) -> web.Response:
        return json_response(
            {
                "url": self.state.gateway_url.rstrip("/"),
                "shards": self.state.shard_count,
                "session_start_limit": {
                    "total": 1000,
                    "remaining": 999,
                    "reset_after": 86_400_000,
                    "max_concurrency": 1,
                },
            }
        )

    # ------------------------------------------------------------ application commands

    def _commands(self, request: web.Request) -> tuple[list[JSON], int | None]:
        if snowflake(request, "app_id") != self.state.application_id:
            raise ApiError(403, 50001, "Missing Access", violation=True)
        if "guild_id" not in request.match_info:
            return self.state.global_commands, None
        guild = self._guild(request)
        return self.state.guild_commands.setdefault(guild.id, []), guild.id

    async def get_commands(self, request: web.Request) -> web.Response:
        return json_response(self._commands(request)[0])

    async def get_command(self, request: web.Request) -> web.Response:
        command_id = str(snowflake(request, "command_id"))
        for command in self._commands(request)[0]:
            if command["id"] == command_id:
                return json_response(command)
        raise ApiError(404, 10063, "Unknown application command")

    async def put_commands(self, request: web.Request) -> web.Response:
        current, guild_id = self._commands(request)
        payload = await read_json(request)
        errors = FormErrors()
        validate_commands(payload, errors, is_global=guild_id is None)
        if errors:
            raise ApiError(400, 50035, "Invalid Form Body", errors.tree, violation=True)
        existing = {(c["type"], c["name"]): c for c in current}
        stored = [self._stored_command(command, existing, guild_id) for command in payload]
        current[:] = stored
        return json_response(stored)

    def _stored_command(
        self, command: JSON, existing: dict[tuple[int, str], JSON], guild_id: int | None
    ) -> JSON:
        kind = command.get("type", 1)
        previous = existing.get((kind, command["name"]))
        stored: JSON = {
            "options": [],
            "description": "",
            "default_member_permissions": None,
            "nsfw": False,
            "contexts": None,
            "integration_types": [0],
            **command,
            "id": previous["id"] if previous else str(self.state.ids.next()),
            "application_id": str(self.state.application_id),
            "version": str(self.state.ids.next()),
            "type": kind,
        }
        if guild_id is not None:
            stored["guild_id"] = str(guild_id)
        return stored

    # ------------------------------------------------------------ guilds, channels, attachments

    def _guild(self, request: web.Request) -> Guild:
        guild = self.state.guilds.get(snowflake(request, "guild_id"))
        if guild is None:
            raise ApiError(404, 10004, "Unknown Guild")
        return guild

    async def guild(self, request: web.Request) -> web.Response:
        guild = self._guild(request)
        data = self.state.guild_payload(guild)
        for key in GATEWAY_ONLY_GUILD_KEYS:
            data.pop(key)
        if request.query.get("with_counts") in ("true", "1"):
            data.update(approximate_member_count=len(guild.members), approximate_presence_count=0)
        return json_response(data)

    async def guild_channels(self, request: web.Request) -> web.Response:
        guild = self._guild(request)
        channels = [self.state.channels[c] for c in guild.channel_ids]
        return json_response(
            [self.state.channel_payload(c) for c in channels if not c.deleted and not c.is_thread]
        )

    async def roles(self, request: web.Request) -> web.Response:
        return json_response(self.state.guild_payload(self._guild(request))["roles"])

    async def member(self, request: web.Request) -> web.Response:
        guild = self._guild(request)
        member = guild.members.get(snowflake(request, "user_id"))
        if member is None:
            raise ApiError(404, 10007, "Unknown Member")
        return json_response(member.payload())

    async def channel(self, request: web.Request) -> web.Response:
        return json_response(
            self.state.channel_payload(self.state.channel(snowflake(request, "channel_id")))
        )

    async def attachment(self, request: web.Request) -> web.Response:
        attachment_id = snowflake(request, "attachment_id")
        for message in self.state.messages.values():
            if attachment_id in message.attachment_ids:
                attachment = message.attachments[message.attachment_ids.index(attachment_id)]
                return web.Response(
                    body=attachment.data, content_type=attachment.content_type or None
                )
        raise ApiError(404, 0, "404: Not Found")
