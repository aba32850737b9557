"""Operations pages' content: each module builds one page's dataclass from the store."""
