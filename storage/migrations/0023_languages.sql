-- Channel languages and language teams (issue 17, docs/languages.md).
--
-- `member_languages`: the languages a member said they handle (`/languages set de fr`, or
-- an admin for them); roles per language in the configuration count too, without a row.
-- `tickets.language`: the language a ticket is in (the channel it was opened in, an
-- explicit `language:` option, or the opener's locale); its tracker and first reminders
-- address that language's team. NULL for tickets from before (they go to everyone).

CREATE TABLE member_languages (
    community TEXT NOT NULL,
    member_id TEXT NOT NULL,
    language TEXT NOT NULL,
    set_by TEXT NOT NULL,
    at TEXT NOT NULL,
    PRIMARY KEY (community, member_id, language)
);

CREATE INDEX member_languages_language ON member_languages (community, language);

ALTER TABLE tickets ADD COLUMN language TEXT;

CREATE INDEX tickets_language ON tickets (community, language, active);
