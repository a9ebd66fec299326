-- Commands belong to whoever sent them: the issuer (an API key's name, or a broker login) is recorded with the
-- outcome, so only it (or staff) reads the outcome, and another caller reusing the command id is refused.
-- Commands recorded before this have no issuer: staff still read them.
ALTER TABLE inbox ADD COLUMN issuer text;
