"""The admin API for centre staff: content, unanswered questions, leads, people's data, statistics, audit."""
